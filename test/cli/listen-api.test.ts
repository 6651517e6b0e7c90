/**
 * The listen routes' contract, in-process (real server on a SQLite file, real sockets): who may
 * register and stream, how bad input is refused (problem+json, never a 500), the derived secret,
 * and a result reported over the API becoming the attempt, byte-exact request included.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { request } from 'undici';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenerSecret } from '../../src/api/routes/listen.js';
import { hashApiKey } from '../../src/api/auth.js';
import { resolveConfig } from '../../src/config/index.js';
import { readSse, type SseEvent } from '../../src/cli/sse.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { freshPgSchema, PG_SKIP_REASON, PG_TEST_URL, type PgSchema } from '../helpers/pg.js';
import { apiClient } from '../helpers/server-process.js';
import { waitFor } from '../helpers/wait.js';

const ADMIN_KEY = 'hl_listen_api_admin_key_0123456789';

const ENGINES = [
  { engine: 'sqlite', skip: false },
  { engine: 'postgres', skip: PG_TEST_URL === undefined },
] as const;

describe.each(ENGINES)('listen routes ($engine)', ({ engine, skip }) => {
  if (skip) {
    // Skipped only without HOOKLANE_TEST_DATABASE_URL (plain `npm test`); .ci/run always sets it.
    it.skip(PG_SKIP_REASON, () => undefined);
    return;
  }
  let dir: string;
  let pgSchema: PgSchema | null = null;
  let server: RunningServer;
  let keys: Record<'editor' | 'viewer', string>;
  let otherTenantKey: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hl-listen-api-'));
    if (engine === 'postgres') pgSchema = await freshPgSchema();
    const database = pgSchema !== null ? pgSchema.url : `sqlite:${join(dir, 'hl.db')}`;
    const config = resolveConfig(
      { port: '0', database },
      { HOOKLANE_ADMIN_KEY: ADMIN_KEY, HOOKLANE_LOG_LEVEL: 'silent', HOOKLANE_POLL_INTERVAL_MS: '100' },
    );
    server = await startServer(config, {
      logger: pino({ level: 'silent' }),
      printAdminKey: false,
      ...(pgSchema !== null ? { pgSchema: pgSchema.schema } : {}),
    });
    const admin = apiClient(server.url!, ADMIN_KEY);
    for (const id of ['acme', 'other'])
      expect((await admin.post('/v1/tenants', { id, name: id })).status).toBe(201);
    const mk = async (tenant: string, role: string) =>
      (await admin.post(`/v1/tenants/${tenant}/api-keys`, { role })).body.key as string;
    keys = { editor: await mk('acme', 'editor'), viewer: await mk('acme', 'viewer') };
    otherTenantKey = await mk('other', 'admin');
  });

  afterAll(async () => {
    await server?.close();
    await pgSchema?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const as = (key: string) => apiClient(server.url!, key);
  const register = (key: string, body: unknown = { forward_to: 'http://localhost:3000/hooks' }) =>
    as(key).post('/v1/tenants/acme/listeners', body);

  it('registers a listener as a webhook of the tenant, with a secret derived from the key and tenant', async () => {
    const res = await register(keys.editor, {
      forward_to: 'http://localhost:3000/hooks',
      events: ['user.*'],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({
      tenant_id: 'acme',
      events: ['user.*'],
      forward_to: 'http://localhost:3000/hooks',
    });
    expect(res.body.id).toMatch(/^lsn_/);
    expect(res.body.secret).toBe(listenerSecret(hashApiKey(keys.editor), 'acme'));
    const again = await register(keys.editor);
    expect(again.body.id).not.toBe(res.body.id);
    expect(again.body.secret).toBe(res.body.secret);
    const hook = await as(keys.editor).get(`/v1/tenants/acme/webhooks/${res.body.webhook_id}`);
    expect(hook.status).toBe(200);
    expect(hook.body.description).toBe('hooklane listen → http://localhost:3000/hooks');

    // re-registering by id keeps the listener and updates it
    const re = await register(keys.editor, { forward_to: 'http://localhost:4000/x', id: res.body.id });
    expect(re.body).toMatchObject({ id: res.body.id, webhook_id: res.body.webhook_id, events: ['*'] });
  });

  it('refuses viewers, other tenants and missing keys', async () => {
    expect((await register(keys.viewer)).status).toBe(403);
    expect((await register(otherTenantKey)).status).toBe(403);
    expect((await register('hl_nope')).status).toBe(401);
    const stream = await request(
      `${server.url}/v1/tenants/acme/listeners/lsn_01M8000000000000000000000A/stream`,
      {
        headers: { authorization: `Bearer ${keys.viewer}` },
      },
    );
    expect(stream.statusCode).toBe(403);
    await stream.body.dump();
  });

  it.each([
    [{}, 'forward_to'],
    [{ forward_to: 'ftp://x' }, 'forward_to'],
    [{ forward_to: 'http://x', events: ['bad filter!'] }, 'events[0]'],
    [{ forward_to: 'http://x', id: 'wh_123' }, 'id'],
    [{ forward_to: 'http://x', extra: 1 }, ''],
  ])('answers 400 problem+json for a bad registration %j', async (body, path) => {
    const res = await register(keys.editor, body);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    expect(res.body.code).toBe('validation_failed');
    if (path !== '') expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });

  it('answers 404 for an unknown listener and for a result nobody waits for', async () => {
    const unknown = 'lsn_01M8000000000000000000000A';
    const stream = await request(`${server.url}/v1/tenants/acme/listeners/${unknown}/stream`, {
      headers: { authorization: `Bearer ${keys.editor}` },
    });
    expect(stream.statusCode).toBe(404);
    await stream.body.dump();
    expect((await as(keys.editor).del(`/v1/tenants/acme/listeners/${unknown}`)).status).toBe(404);
    const l = (await register(keys.editor)).body;
    const late = await as(keys.editor).post(`/v1/tenants/acme/listeners/${l.id}/results`, {
      request_id: 'att_nobody',
      status: 200,
      duration_ms: 1,
    });
    expect(late.status).toBe(404);
    expect(late.body.code).toBe('not_found');
    const bad = await as(keys.editor).post(`/v1/tenants/acme/listeners/${l.id}/results`, { status: 'x' });
    expect(bad.status).toBe(400);
  });

  it('pushes the signed request down the stream and records the reported answer as the attempt', async () => {
    const l = (await register(keys.editor, { forward_to: 'http://localhost:3000/hooks', events: ['ping.*'] }))
      .body;
    const abort = new AbortController();
    const res = await request(`${server.url}/v1/tenants/acme/listeners/${l.id}/stream`, {
      headers: { authorization: `Bearer ${keys.editor}` },
      signal: abort.signal,
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    const events: SseEvent[] = [];
    const reading = (async () => {
      for await (const ev of readSse(res.body)) events.push(ev);
    })().catch(() => undefined);
    await waitFor(() => events.find((e) => e.event === 'ready'));

    const sent = await as(keys.editor).post('/v1/tenants/acme/events', {
      type: 'ping.one',
      data: { x: 'é' },
    });
    // earlier tests' listeners (not connected) match too
    expect(sent.body.deliveries).toBeGreaterThanOrEqual(1);
    const pushed = JSON.parse((await waitFor(() => events.find((e) => e.event === 'delivery'))).data);
    expect(pushed).toMatchObject({
      event_id: sent.body.id,
      event_type: 'ping.one',
      attempt: 1,
      webhook_id: l.webhook_id,
    });
    const body = Buffer.from(pushed.body_base64, 'base64').toString('utf8');
    expect(new Webhook(l.secret).verify(body, pushed.headers)).toMatchObject({
      id: sent.body.id,
      data: { x: 'é' },
    });

    const report = await as(keys.editor).post(`/v1/tenants/acme/listeners/${l.id}/results`, {
      request_id: pushed.request_id,
      status: 202,
      body: 'accepted locally',
      duration_ms: 7,
    });
    expect(report.status).toBe(204);
    const delivery = await waitFor(async () => {
      const list = await as(keys.editor).get(
        `/v1/tenants/acme/deliveries?event_id=${sent.body.id}&webhook_id=${l.webhook_id}`,
      );
      const d = list.body.data[0];
      return d?.status === 'succeeded' ? d : null;
    });
    const full = await as(keys.editor).get(`/v1/tenants/acme/deliveries/${delivery.id}`);
    expect(full.body.attempts).toHaveLength(1);
    expect(full.body.attempts[0]).toMatchObject({
      id: pushed.request_id,
      response_status: 202,
      response_body: 'accepted locally',
      duration_ms: 7,
      url: 'http://localhost:3000/hooks',
    });
    expect(full.body.attempts[0].request_headers['webhook-signature']).toBeUndefined();

    abort.abort();
    await reading;
    // Ctrl-C path: delete removes the webhook now
    expect((await as(keys.editor).del(`/v1/tenants/acme/listeners/${l.id}`)).status).toBe(204);
    expect((await as(keys.editor).get(`/v1/tenants/acme/webhooks/${l.webhook_id}`)).status).toBe(404);
  });
});
