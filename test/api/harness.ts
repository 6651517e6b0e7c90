/**
 * An API under test: the real Fastify app on a real SQLite file in a temp dir, driven with
 * app.inject() (no sockets). Keys for the usual principals are created through the API itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { expect } from 'vitest';
import { buildApi } from '../../src/api/app.js';
import { ensureAdminKey } from '../../src/api/auth.js';
import { resolveConfig, type Config } from '../../src/config/index.js';
import { validateWebhookUrl } from '../../src/delivery/egress.js';
import type { Clock } from '../../src/domain/clock.js';
import { EventIngestor } from '../../src/ingest/events.js';
import { ListenerHub } from '../../src/listen/hub.js';
import { Metrics } from '../../src/metrics/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';

export const ADMIN_KEY = 'hl_api_test_admin_key_0123456789';

export interface ApiHarness {
  app: FastifyInstance;
  store: Store;
  metrics: Metrics;
  /** `hooklane listen` streams of this API (no dispatcher feeds them here) */
  listeners: ListenerHub;
  ingestor: EventIngestor;
  config: Config;
  dir: string;
  call(method: string, url: string, opts?: CallOptions): Promise<ApiResponse>;
  close(): Promise<void>;
}

export interface CallOptions {
  key?: string | null;
  body?: unknown;
  /** sent as-is (with the given content type) instead of JSON */
  raw?: string | Buffer;
  headers?: Record<string, string>;
}

export interface ApiResponse {
  status: number;
  body: any;
  text: string;
  headers: Record<string, string | string[] | number | undefined>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  clock?: Clock;
  /** the app's logger (default: silent, or TEST_LOG_LEVEL) */
  logger?: Logger;
  /** wraps the real store, e.g. to count calls */
  wrapStore?: (store: Store) => Store;
}

export async function startApi(opts: HarnessOptions = {}): Promise<ApiHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'hl-api-'));
  const clock = opts.clock ?? { now: () => Date.now() };
  const config = resolveConfig(
    {},
    {
      HOOKLANE_ADMIN_KEY: ADMIN_KEY,
      HOOKLANE_DATABASE_URL: `sqlite:${join(dir, 'hl.db')}`,
      HOOKLANE_LOG_LEVEL: 'silent',
      ...opts.env,
    },
  );
  const realStore = await openSqliteStore({ path: join(dir, 'hl.db'), synchronous: 'NORMAL' });
  await realStore.migrate();
  const store = opts.wrapStore ? opts.wrapStore(realStore) : realStore;
  if (config.adminKey !== null) await ensureAdminKey(store, config, clock);
  const metrics = new Metrics({ defaultMetrics: false });
  const ingestor = new EventIngestor({ store, clock, metrics });
  const logger = opts.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const listeners = new ListenerHub({ store, clock, logger, graceMs: 60_000 });
  const app = await buildApi({
    store,
    config,
    clock,
    logger,
    metrics,
    ingestor,
    validateWebhookUrl,
    listeners,
  });
  await app.ready();

  async function call(method: string, url: string, o: CallOptions = {}): Promise<ApiResponse> {
    const key = o.key === undefined ? ADMIN_KEY : o.key;
    const headers: Record<string, string> = { ...(key !== null ? { authorization: `Bearer ${key}` } : {}) };
    let payload: string | Buffer | undefined;
    if (o.raw !== undefined) payload = o.raw;
    else if (o.body !== undefined) {
      payload = JSON.stringify(o.body);
      headers['content-type'] = 'application/json';
    }
    Object.assign(headers, o.headers);
    const res = await app.inject({
      method: method as 'GET',
      url,
      headers,
      ...(payload !== undefined ? { payload } : {}),
    });
    let body: any = null;
    try {
      body = res.body === '' ? null : JSON.parse(res.body);
    } catch {
      body = res.body;
    }
    return { status: res.statusCode, body, text: res.body, headers: res.headers };
  }

  return {
    app,
    store,
    metrics,
    ingestor,
    listeners,
    config,
    dir,
    call,
    async close() {
      await app.close();
      await realStore.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** asserts an RFC 9457 problem document with the given status and code */
export function expectProblem(res: ApiResponse, status: number, code?: string): void {
  expect(res.status, res.text).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, type: expect.stringMatching(/^urn:hooklane:problem:/) });
  expect(typeof res.body.title).toBe('string');
  expect(typeof res.body.detail).toBe('string');
  if (code !== undefined) expect(res.body.code).toBe(code);
}

/** creates a tenant and one key per role through the API */
export async function tenantWithKeys(api: ApiHarness, id: string) {
  const t = await api.call('POST', '/v1/tenants', { body: { id, name: `Tenant ${id}` } });
  expect(t.status, t.text).toBe(201);
  const keys: Record<'admin' | 'editor' | 'viewer', string> = { admin: '', editor: '', viewer: '' };
  for (const role of ['admin', 'editor', 'viewer'] as const) {
    const k = await api.call('POST', `/v1/tenants/${id}/api-keys`, { body: { role, name: role } });
    expect(k.status, k.text).toBe(201);
    keys[role] = k.body.key;
  }
  return keys;
}
