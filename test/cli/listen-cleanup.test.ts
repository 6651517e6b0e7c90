/**
 * Listener webhooks never outlive their CLI for long, whatever happened to it: registered but never
 * connected (the process's own timer removes it), or left behind by a server process that stopped
 * (the next process's sweep removes it). In-process servers on one SQLite file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/index.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { apiClient } from '../helpers/server-process.js';
import { waitFor } from '../helpers/wait.js';

const ADMIN_KEY = 'hl_listen_cleanup_admin_key_01234';

describe('listener cleanup', () => {
  let dir: string;
  const running: RunningServer[] = [];

  const start = async (graceMs: number) => {
    const config = resolveConfig(
      { port: '0', database: `sqlite:${join(dir, 'hl.db')}` },
      {
        HOOKLANE_ADMIN_KEY: ADMIN_KEY,
        HOOKLANE_LOG_LEVEL: 'silent',
        HOOKLANE_LISTENER_GRACE_MS: String(graceMs),
        HOOKLANE_ALLOW_PRIVATE_NETWORKS: 'true',
      },
    );
    const server = await startServer(config, { logger: pino({ level: 'silent' }), printAdminKey: false });
    running.push(server);
    return { server, api: apiClient(server.url!, ADMIN_KEY) };
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hl-listen-cleanup-'));
  });

  afterAll(async () => {
    for (const s of running) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('removes a listener whose CLI registered but never connected, after the grace period', async () => {
    const { server, api } = await start(300);
    expect((await api.post('/v1/tenants', { id: 'acme', name: 'Acme' })).status).toBe(201);
    const l = await api.post('/v1/tenants/acme/listeners', { forward_to: 'http://localhost:3000/x' });
    expect(l.status).toBe(201);
    expect((await api.get(`/v1/tenants/acme/webhooks/${l.body.webhook_id}`)).status).toBe(200);
    await waitFor(
      async () => (await api.get(`/v1/tenants/acme/webhooks/${l.body.webhook_id}`)).status === 404,
      {
        message: 'the unconnected listener to be removed',
      },
    );
    await server.close();
  });

  it('sweeps a listener left behind by a server process that is gone', async () => {
    // the first process's grace period is long: it stops before removing anything
    const first = await start(60_000);
    const l = await first.api.post('/v1/tenants/acme/listeners', { forward_to: 'http://localhost:3000/x' });
    expect(l.status).toBe(201);
    const kept = await first.api.post('/v1/tenants/acme/webhooks', { url: 'http://127.0.0.1:9/hooks' });
    await first.server.close();

    const second = await start(300);
    await waitFor(
      async () => (await second.api.get(`/v1/tenants/acme/webhooks/${l.body.webhook_id}`)).status === 404,
      { message: "the next process's sweep to remove the orphaned listener" },
    );
    // ordinary webhooks are not touched by the sweep
    expect(kept.status).toBe(201);
    expect((await second.api.get(`/v1/tenants/acme/webhooks/${kept.body.id}`)).status).toBe(200);
    const list = await second.api.get('/v1/tenants/acme/webhooks');
    expect(list.body.data.filter((w: { listener_id: string | null }) => w.listener_id !== null)).toEqual([]);
    await second.server.close(); // one process per SQLite file
  });
  it('ends the stream of a listener whose webhook was deleted through the webhooks API', async () => {
    const { api, server } = await start(3000); // marks listeners alive (and checks them) every second
    const l = await api.post('/v1/tenants/acme/listeners', { forward_to: 'http://localhost:3000/x' });
    expect(l.status).toBe(201);
    const res = await request(`${server.url}/v1/tenants/acme/listeners/${l.body.id}/stream`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(res.statusCode).toBe(200);
    let ended = false;
    const reading = res.body.dump({ limit: Infinity }).then(() => (ended = true));
    expect((await api.del(`/v1/tenants/acme/webhooks/${l.body.webhook_id}`)).status).toBe(204);
    await waitFor(() => ended, { message: 'the server to end the orphaned stream' });
    await reading;
  });
});
