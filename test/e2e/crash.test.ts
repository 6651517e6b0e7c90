/**
 * Crash safety: kill -9 the server while 5,000 accepted events are being delivered, restart it on
 * the same database file: every accepted event reaches every matching webhook at least once.
 * Deliveries in flight at the kill are re-sent after their lease (timeout + margin) expires.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiClient, freePort, spawnServer, type ServerProcess } from '../helpers/server-process.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { waitFor } from '../helpers/wait.js';

describe('crash safety (SQLite, kill -9)', () => {
  let dir: string;
  let server: ServerProcess | undefined;
  let receiver: Receiver;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hl-crash-'));
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await server?.stop();
    await receiver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers every accepted event after a kill -9 and restart', async () => {
    const db = `sqlite:${join(dir, 'hl.db')}`;
    const port = await freePort();
    const env = { HOOKLANE_LEASE_MARGIN_MS: '500' };
    server = await spawnServer({ databaseUrl: db, port, env });
    const admin = apiClient(server.url, server.adminKey);
    expect((await admin.post('/v1/tenants', { id: 'acme', name: 'Acme' })).status).toBe(201);
    // A slowish receiver keeps deliveries in flight when the process dies.
    receiver.on('/a', { delayMs: 5 });
    receiver.on('/b', { delayMs: 5 });
    for (const [path, events] of [
      ['/a', ['*']],
      ['/b', ['even']],
    ] as const) {
      const res = await admin.post('/v1/tenants/acme/webhooks', {
        url: receiver.url + path,
        events,
        timeout_ms: 2000,
        retry_policy: { max_attempts: 10, initial_delay_ms: 200, backoff_multiplier: 2, max_delay_ms: 2000 },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }

    const accepted: { id: string; type: string }[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < 5000) {
          const i = next++;
          const type = i % 2 === 0 ? 'even' : 'odd';
          const res = await admin.post('/v1/tenants/acme/events', { id: `e${i}`, type, data: { i } });
          expect(res.status).toBe(202);
          accepted.push({ id: `e${i}`, type });
        }
      }),
    );

    // Kill mid-delivery: some delivered, most not.
    await waitFor(() => receiver.requests.length >= 500, { timeoutMs: 60_000 });
    await server.kill9();
    const beforeRestart = receiver.requests.length;
    expect(beforeRestart).toBeLessThan(7500);

    server = await spawnServer({ databaseUrl: db, port, env });
    const want = (path: string) =>
      new Set(accepted.filter((e) => path === '/a' || e.type === 'even').map((e) => e.id));
    const got = (path: string) =>
      new Set(receiver.received(path).map((r) => String(r.headers['webhook-id'])));
    await waitFor(() => got('/a').size === 5000 && got('/b').size === 2500, { timeoutMs: 120_000 });
    expect(got('/a')).toEqual(want('/a'));
    expect(got('/b')).toEqual(want('/b'));
  });
});
