/**
 * The SDK client over real sockets: against a real hooklane server (in-process, SQLite file) for
 * results, typed errors and cursor iteration; against a scripted HTTP server for the retry rules
 * (which calls are repeated, on which answers, honouring Retry-After).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/index.js';
import { Hooklane, HooklaneApiError, HooklaneConnectionError } from '../../src/sdk/index.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { freePort } from '../helpers/server-process.js';

const ADMIN_KEY = 'hl_sdk_client_admin_key_0123456789';

describe('client against a real server', () => {
  let dir: string;
  let server: RunningServer;
  let client: Hooklane;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hl-sdk-'));
    const config = resolveConfig(
      { port: '0', database: `sqlite:${join(dir, 'hl.db')}` },
      {
        HOOKLANE_ADMIN_KEY: ADMIN_KEY,
        HOOKLANE_LOG_LEVEL: 'silent',
        HOOKLANE_ALLOW_PRIVATE_NETWORKS: 'true',
      },
    );
    server = await startServer(config, { logger: pino({ level: 'silent' }), printAdminKey: false });
    client = new Hooklane({ baseUrl: server.url!, apiKey: ADMIN_KEY });
  });

  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates and reads resources, and iterates every page of a list', async () => {
    for (let i = 0; i < 7; i++) await client.tenants.create({ id: `t${i}`, name: `T${i}` });
    const firstPage = await client.tenants.list({ limit: 3 });
    expect(firstPage.data).toHaveLength(3);
    expect(firstPage.next_cursor).not.toBeNull();
    const all: string[] = [];
    for await (const t of client.tenants.iterate({ limit: 3 })) all.push(t.id);
    expect(all.sort()).toEqual(['t0', 't1', 't2', 't3', 't4', 't5', 't6']);

    const hook = await client.webhooks.create('t0', { url: 'http://127.0.0.1:9/hooks', events: ['user.*'] });
    expect(hook.secret).toMatch(/^whsec_/);
    const sent = await client.events.send(
      't0',
      { type: 'user.created', data: { n: 1 } },
      { idempotencyKey: 'k1' },
    );
    expect(sent.deliveries).toBe(1);
    const again = await client.events.send(
      't0',
      { type: 'user.created', data: { n: 1 } },
      { idempotencyKey: 'k1' },
    );
    expect(again.id).toBe(sent.id);
    expect(again.deliveries).toBe(0);
    const event = await client.events.get<{ n: number }>('t0', sent.id);
    expect(event.data.n).toBe(1);
  });

  it('manages inbound sources: create with secrets, read without, verification, request log', async () => {
    const created = await client.sources.create('t1', {
      name: 'github',
      verification: { type: 'github', secret: 'gh-secret-123' },
    });
    expect(created.verification).toMatchObject({ type: 'github', secret: 'gh-secret-123' });
    expect(created.url).toMatch(/\/in\/[^/]+$/);
    const read = await client.sources.get('t1', created.id);
    expect(read.verification).toEqual({ type: 'github' });
    expect((await client.sources.verification('t1', created.id)).verification).toMatchObject({
      secret: 'gh-secret-123',
    });
    // the public URL names the configured port (0 here): post to where the server really listens
    const received = await fetch(server.url! + new URL(created.url).pathname, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(received.status).toBe(401); // unsigned: rejected, and logged
    const log: string[] = [];
    for await (const r of client.sources.iterateRequests('t1', created.id)) log.push(r.outcome);
    expect(log).toEqual(['rejected']);
    const rotated = await client.sources.rotateUrl('t1', created.id);
    expect(rotated.url).not.toBe(created.url);
    expect((await client.sources.update('t1', created.id, { active: false })).active).toBe(false);
    await client.sources.delete('t1', created.id);
    await expect(client.sources.get('t1', created.id)).rejects.toMatchObject({ status: 404 });
  });

  it('throws HooklaneApiError with the problem code and field errors', async () => {
    const notFound = await client.tenants.get('nope').catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(HooklaneApiError);
    expect(notFound).toMatchObject({ status: 404, code: 'not_found' });

    const invalid = await client.webhooks.create('t0', { url: 'not a url' }).catch((e: unknown) => e);
    expect(invalid).toMatchObject({ status: 400, code: 'validation_failed' });
    expect((invalid as HooklaneApiError).errors.map((e) => e.path)).toContain('url');

    const unauthorized = await new Hooklane({ baseUrl: server.url!, apiKey: 'hl_wrong' }).tenants
      .list()
      .catch((e: unknown) => e);
    expect(unauthorized).toMatchObject({ status: 401, code: 'unauthorized' });
  });

  it('throws HooklaneConnectionError naming the cause when nothing listens', async () => {
    const port = await freePort();
    const c = new Hooklane({
      baseUrl: `http://127.0.0.1:${port}`,
      apiKey: 'k',
      maxRetries: 1,
      retryDelayMs: 1,
    });
    const err = await c.tenants.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HooklaneConnectionError);
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
  });
});

describe('retries', () => {
  let server: Server;
  let url: string;
  /** answers to give, in order, per request; the last repeats */
  let script: { status: number; headers?: Record<string, string>; body?: unknown }[];
  let seen: { method: string; path: string; idempotencyKey: string | undefined }[];

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      req.resume();
      req.on('end', () => {
        seen.push({
          method: req.method!,
          path: req.url!,
          idempotencyKey: req.headers['idempotency-key'] as string | undefined,
        });
        const answer = script[Math.min(seen.length - 1, script.length - 1)]!;
        const body = JSON.stringify(answer.body ?? { code: `s${answer.status}`, detail: 'scripted' });
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
        res.end(body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  const client = () => new Hooklane({ baseUrl: url, apiKey: 'k', maxRetries: 3, retryDelayMs: 1 });
  const reset = (s: typeof script) => {
    script = s;
    seen = [];
  };

  it.each([429, 500, 502, 503, 504])('repeats a read answered %i until it succeeds', async (status) => {
    reset([{ status }, { status }, { status: 200, body: { id: 'acme' } }]);
    await expect(client().tenants.get('acme')).resolves.toEqual({ id: 'acme' });
    expect(seen).toHaveLength(3);
  });

  it('gives up after maxRetries and throws the last answer', async () => {
    reset([{ status: 503 }]);
    await expect(client().tenants.get('acme')).rejects.toMatchObject({ status: 503 });
    expect(seen).toHaveLength(4);
  });

  it('does not repeat 4xx answers other than 429, nor 501', async () => {
    for (const status of [400, 404, 409, 501]) {
      reset([{ status }]);
      await expect(client().tenants.get('acme')).rejects.toMatchObject({ status });
      expect(seen, String(status)).toHaveLength(1);
    }
  });

  it('sends an event without id or idempotency key once, but repeats one that has either', async () => {
    reset([{ status: 503 }, { status: 202, body: { id: 'evt_1' } }]);
    await expect(client().events.send('acme', { type: 'a.b', data: {} })).rejects.toMatchObject({
      status: 503,
    });
    expect(seen).toHaveLength(1);

    reset([{ status: 503 }, { status: 202, body: { id: 'evt_1' } }]);
    await client().events.send('acme', { type: 'a.b', data: {} }, { idempotencyKey: 'k9' });
    expect(seen.map((s) => s.idempotencyKey)).toEqual(['k9', 'k9']);

    reset([{ status: 503 }, { status: 202, body: { id: 'evt_1' } }]);
    await client().events.send('acme', { id: 'evt_1', type: 'a.b', data: {} });
    expect(seen).toHaveLength(2);
  });

  it('does not repeat other writes (creating a webhook twice would make two)', async () => {
    reset([{ status: 503 }, { status: 201, body: {} }]);
    await expect(client().webhooks.create('acme', { url: 'https://x.test' })).rejects.toMatchObject({
      status: 503,
    });
    expect(seen).toHaveLength(1);
  });

  it('honours Retry-After, and returns the error at once when it asks for more than a minute', async () => {
    reset([
      { status: 429, headers: { 'retry-after': '0' } },
      { status: 200, body: { ok: true } },
    ]);
    await expect(client().tenants.get('acme')).resolves.toEqual({ ok: true });
    expect(seen).toHaveLength(2);

    reset([
      { status: 429, headers: { 'retry-after': '3600' } },
      { status: 200, body: {} },
    ]);
    await expect(client().tenants.get('acme')).rejects.toMatchObject({ status: 429, retryAfterS: 3600 });
    expect(seen).toHaveLength(1);
  });
});
