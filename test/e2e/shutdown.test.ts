/**
 * SIGTERM on the real binary: the dispatcher stops claiming, lets the requests in flight finish and
 * records their results, gives back what it had claimed but not started, and the process exits 0.
 * A restart on the same file then delivers the rest.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { apiClient, spawnServer, type ServerProcess } from '../helpers/server-process.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { waitFor } from '../helpers/wait.js';

describe('graceful shutdown (SIGTERM, real process)', () => {
  let dir: string;
  let server: ServerProcess | undefined;
  let receiver: Receiver;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hl-shutdown-'));
    receiver = await startReceiver();
  });
  // each test leaves its restarted server running: stop it before the next one starts its own
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });
  afterAll(async () => {
    await receiver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stops claiming, drains requests in flight, records them, exits 0; the rest goes after restart', async () => {
    const path = join(dir, 'hl.db');
    const db = `sqlite:${path}`;
    server = await spawnServer({ databaseUrl: db });
    const admin = apiClient(server.url, server.adminKey);
    expect((await admin.post('/v1/tenants', { id: 'acme', name: 'Acme' })).status).toBe(201);
    receiver.on('/slow', { delayMs: 1500 });
    const wh = await admin.post('/v1/tenants/acme/webhooks', {
      url: `${receiver.url}/slow`,
      max_in_flight: 2,
    });
    expect(wh.status, JSON.stringify(wh.body)).toBe(201);
    for (let i = 0; i < 6; i++) {
      expect(
        (await admin.post('/v1/tenants/acme/events', { id: `e${i}`, type: 'a.b', data: { i } })).status,
      ).toBe(202);
    }

    await waitFor(() => receiver.received('/slow').length === 2);
    const sentAt = Date.now();
    const code = await server.stop();
    expect(code, server.output()).toBe(0);
    // it waited for the answers (1.5 s after they were sent) instead of cutting them off
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(1000);
    // nothing new was claimed and sent after SIGTERM
    expect(receiver.received('/slow')).toHaveLength(2);

    const store = await openSqliteStore({ path, synchronous: 'NORMAL' });
    try {
      const page = await store.deliveries.list('acme', { webhook_id: wh.body.id }, { limit: 50 });
      const byStatus = (s: string) => page.data.filter((d) => d.status === s);
      const inFlight = new Set(receiver.received('/slow').map((r) => String(r.headers['webhook-id'])));
      expect(
        byStatus('succeeded')
          .map((d) => d.event_id)
          .sort(),
      ).toEqual([...inFlight].sort());
      for (const d of byStatus('succeeded')) {
        const attempts = await store.deliveries.attempts('acme', d.id);
        expect(attempts.map((a) => a.response_status)).toEqual([200]);
      }
      expect(byStatus('pending')).toHaveLength(4);
      for (const d of byStatus('pending')) expect(d).toMatchObject({ attempts: 0, lease_owner: null });
      expect(byStatus('delivering')).toHaveLength(0);
    } finally {
      await store.close();
    }

    receiver.on('/slow', {});
    server = await spawnServer({ databaseUrl: db });
    await waitFor(() => new Set(receiver.received('/slow').map((r) => r.headers['webhook-id'])).size === 6);
    expect(receiver.received('/slow')).toHaveLength(6);
  });

  it('a request still hanging after the grace period is abandoned: exit 0, its lease brings it back', async () => {
    const path = join(dir, 'grace.db');
    const env = { HOOKLANE_SHUTDOWN_GRACE_MS: '300', HOOKLANE_LEASE_MARGIN_MS: '500' };
    server = await spawnServer({ databaseUrl: `sqlite:${path}`, env });
    const admin = apiClient(server.url, server.adminKey);
    await admin.post('/v1/tenants', { id: 'acme', name: 'Acme' });
    receiver.on('/hang', { hang: true });
    const wh = await admin.post('/v1/tenants/acme/webhooks', {
      url: `${receiver.url}/hang`,
      timeout_ms: 1000,
    });
    expect(wh.status).toBe(201);
    await admin.post('/v1/tenants/acme/events', { id: 'h1', type: 'a.b', data: {} });
    await waitFor(() => receiver.received('/hang').length === 1);
    expect(await server.stop(), server.output()).toBe(0);

    const store = await openSqliteStore({ path, synchronous: 'NORMAL' });
    try {
      const page = await store.deliveries.list('acme', { event_id: 'h1' }, { limit: 5 });
      // still leased to the stopped process: no result was invented for it
      expect(page.data[0]).toMatchObject({ status: 'delivering', attempts: 0 });
    } finally {
      await store.close();
    }
    receiver.on('/hang', {});
    server = await spawnServer({ databaseUrl: `sqlite:${path}`, env });
    const client = apiClient(server.url, server.adminKey);
    await waitFor(async () => {
      const res = await client.get('/v1/tenants/acme/deliveries?event_id=h1');
      return res.body.data[0]?.status === 'succeeded';
    });
  });
});
