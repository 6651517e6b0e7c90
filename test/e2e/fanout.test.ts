/**
 * End to end on a real server process (SQLite): 1,000 events over 3 webhooks with different
 * filters. Every expected delivery arrives, none arrives where the filter excludes it, none twice
 * while the receiver is healthy, and every signature verifies with the official package.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { apiClient, spawnServer, type ServerProcess } from '../helpers/server-process.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { waitFor } from '../helpers/wait.js';

const TYPES = ['user.created', 'user.deleted', 'order.created', 'order.paid', 'invoice.sent'];
const FILTERS: Record<string, string[]> = {
  '/all': ['*'],
  '/users': ['user.*'],
  '/orders-created': ['order.created'],
};

function matches(path: string, type: string): boolean {
  if (path === '/all') return true;
  if (path === '/users') return type.startsWith('user.');
  return type === 'order.created';
}

describe('fan-out end to end (SQLite, real process)', () => {
  let dir: string;
  let server: ServerProcess;
  let receiver: Receiver;
  const secrets = new Map<string, string>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hl-e2e-'));
    receiver = await startReceiver();
    server = await spawnServer({ databaseUrl: `sqlite:${join(dir, 'hl.db')}` });
  });
  afterAll(async () => {
    await server?.stop();
    await receiver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers 1,000 events to exactly the matching webhooks, once each, signed', async () => {
    const admin = apiClient(server.url, server.adminKey);
    expect((await admin.post('/v1/tenants', { id: 'acme', name: 'Acme' })).status).toBe(201);
    for (const [path, events] of Object.entries(FILTERS)) {
      const res = await admin.post('/v1/tenants/acme/webhooks', { url: receiver.url + path, events });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      secrets.set(path, res.body.secret);
    }

    const sent: { id: string; type: string }[] = [];
    const queue = Array.from({ length: 1000 }, (_, i) => ({
      id: `evt-${i}`,
      type: TYPES[i % TYPES.length]!,
    }));
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let e = queue.shift(); e; e = queue.shift()) {
          const res = await admin.post('/v1/tenants/acme/events', {
            id: e.id,
            type: e.type,
            data: { n: e.id },
          });
          expect(res.status).toBe(202);
          sent.push(e);
        }
      }),
    );

    const expected = new Map<string, Set<string>>();
    for (const path of Object.keys(FILTERS)) {
      expected.set(path, new Set(sent.filter((e) => matches(path, e.type)).map((e) => e.id)));
    }
    const total = [...expected.values()].reduce((n, s) => n + s.size, 0);
    await waitFor(() => receiver.requests.length >= total, { timeoutMs: 60_000 });

    for (const [path, ids] of expected) {
      const got = receiver.received(path).map((r) => String(r.headers['webhook-id']));
      expect(new Set(got).size, `${path} duplicates`).toBe(got.length);
      expect(new Set(got)).toEqual(ids);
    }
    // Nothing more can arrive afterwards (no late duplicates): every delivery is recorded as
    // succeeded, none is pending or leased, and the receiver saw exactly one request per delivery.
    await waitFor(async () => {
      for (const status of ['pending', 'delivering']) {
        const res = await admin.get(`/v1/tenants/acme/deliveries?status=${status}&limit=1`);
        if (res.body.data.length > 0) return false;
      }
      return true;
    });
    let succeeded = 0;
    for (let cursor: string | null = ''; cursor !== null;) {
      const res = await admin.get(
        `/v1/tenants/acme/deliveries?status=succeeded&limit=250${cursor ? `&cursor=${cursor}` : ''}`,
      );
      succeeded += res.body.data.length;
      cursor = res.body.next_cursor;
    }
    expect(succeeded).toBe(total);
    expect(receiver.requests.length).toBe(total);

    for (const r of receiver.requests.slice(0, 50)) {
      const wh = new Webhook(secrets.get(r.path)!);
      const evt = wh.verify(r.body.toString(), r.headers as Record<string, string>) as {
        id: string;
        type: string;
      };
      expect(evt.id).toBe(r.headers['webhook-id']);
      expect(matches(r.path, evt.type)).toBe(true);
    }
  });
});
