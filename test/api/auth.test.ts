/**
 * Authentication and tenant isolation: the platform admin key, and a role × route matrix over every
 * route of API.md, generated from one table so no route can be forgotten.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAdminKey, hashApiKey } from '../../src/api/auth.js';
import { resolveConfig } from '../../src/config/index.js';
import { waitFor } from '../helpers/wait.js';
import {
  ADMIN_KEY,
  type ApiResponse,
  expectProblem,
  startApi,
  tenantWithKeys,
  type ApiHarness,
} from './harness.js';

const HOOK_URL = 'http://127.0.0.1:9/hook';

describe('platform admin key', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(async () => {
    await api?.close();
  });

  it('the configured key is stored as its SHA-256 only, and changing it revokes the old one', async () => {
    const row = await api.store.apiKeys.findByHash(createHash('sha256').update(ADMIN_KEY).digest('hex'));
    expect(row).toMatchObject({ tenant_id: null, role: 'platform' });
    expect(row!.key_prefix.length).toBeLessThan(ADMIN_KEY.length);

    const clock = { now: () => Date.now() };
    const next = 'hl_rotated_admin_key_abcdefghijkl';
    const config = resolveConfig({}, { HOOKLANE_ADMIN_KEY: next, HOOKLANE_DATABASE_URL: 'sqlite:/unused' });
    expect(await ensureAdminKey(api.store, config, clock)).toBeNull();
    expect(await ensureAdminKey(api.store, config, clock)).toBeNull();
    expect(await api.store.apiKeys.countPlatformKeys()).toBe(1);
    expect(await api.store.apiKeys.findByHash(hashApiKey(ADMIN_KEY))).toBeNull();
    // Auth caches only briefly and only what it has seen; the new key works at once.
    expect((await api.call('GET', '/v1/tenants', { key: next })).status).toBe(200);
  });

  it('without a configured key, one is generated once, works, and is not stored in clear', async () => {
    const fresh = await startApi({ env: { HOOKLANE_ADMIN_KEY: '' } });
    try {
      expect(await fresh.store.apiKeys.countPlatformKeys()).toBe(0);
      const config = resolveConfig({}, { HOOKLANE_DATABASE_URL: 'sqlite:/unused' });
      const clock = { now: () => Date.now() };
      const key = await ensureAdminKey(fresh.store, config, clock);
      expect(key).toMatch(/^hl_[A-Za-z0-9_-]{43}$/);
      expect(await ensureAdminKey(fresh.store, config, clock)).toBeNull();
      expect((await fresh.call('GET', '/v1/tenants', { key })).status).toBe(200);

      const files = readdirSync(fresh.dir).filter((f) => f.startsWith('hl.db'));
      const bytes = Buffer.concat(files.map((f) => readFileSync(join(fresh.dir, f))));
      expect(bytes.includes(Buffer.from(key!))).toBe(false);
      expect(bytes.includes(Buffer.from(hashApiKey(key!)))).toBe(true);
    } finally {
      await fresh.close();
    }
  });

  it('missing, malformed and unknown keys are 401 with a WWW-Authenticate challenge', async () => {
    for (const authorization of [
      undefined,
      'Basic abc',
      'Bearer',
      'Bearer hl_unknown',
      `Bearer ${'x'.repeat(300)}`,
    ]) {
      const res = await api.call('GET', '/v1/tenants', {
        key: null,
        headers: authorization === undefined ? {} : { authorization },
      });
      expectProblem(res, 401, 'unauthorized');
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    }
  });
});

type Principal = 'platform' | 'a_admin' | 'a_editor' | 'a_viewer' | 'b_admin' | 'none' | 'bad';
type Access = 'public' | 'authenticated' | 'platform' | 'read' | 'write' | 'admin';

/** what each principal should get on a route of each access level, for tenant A's resources */
const EXPECTED: Record<Access, Record<Principal, number>> = {
  public: { platform: 2, a_admin: 2, a_editor: 2, a_viewer: 2, b_admin: 2, none: 2, bad: 2 },
  authenticated: { platform: 2, a_admin: 2, a_editor: 2, a_viewer: 2, b_admin: 2, none: 401, bad: 401 },
  platform: { platform: 2, a_admin: 403, a_editor: 403, a_viewer: 403, b_admin: 403, none: 401, bad: 401 },
  read: { platform: 2, a_admin: 2, a_editor: 2, a_viewer: 2, b_admin: 403, none: 401, bad: 401 },
  write: { platform: 2, a_admin: 2, a_editor: 2, a_viewer: 403, b_admin: 403, none: 401, bad: 401 },
  admin: { platform: 2, a_admin: 2, a_editor: 403, a_viewer: 403, b_admin: 403, none: 401, bad: 401 },
};

interface RouteCase {
  method: string;
  /** the route as written in API.md */
  route: string;
  access: Access;
  /** builds a fresh request (fresh resources for destructive routes) */
  prepare: () => Promise<{ url: string; body?: unknown }>;
  /** answers with a stream that never ends: sent over a real socket, which is closed after the headers */
  endless?: true;
}

describe('role × route matrix', () => {
  let api: ApiHarness;
  const keys = {} as Record<Principal, string | null>;
  let webhookId = '';
  let eventId = '';
  let deliveryId = '';
  let n = 0;

  const freshWebhook = async () => {
    const res = await api.call('POST', '/v1/tenants/ten-a/webhooks', { body: { url: HOOK_URL } });
    return res.body.id as string;
  };

  const freshSource = async (verification: Record<string, unknown> = { type: 'none' }) => {
    const res = await api.call('POST', '/v1/tenants/ten-a/sources', { body: { name: 's', verification } });
    return { id: res.body.id as string, path: new URL(res.body.url as string).pathname };
  };

  /** a `hooklane listen` listener of tenant A */
  const freshListener = async () => {
    const res = await api.call('POST', '/v1/tenants/ten-a/listeners', {
      body: { forward_to: 'http://localhost:3000/hooks' },
    });
    return { id: res.body.id as string, webhookId: res.body.webhook_id as string };
  };

  const ROUTES: RouteCase[] = [
    { method: 'GET', route: '/health', access: 'public', prepare: async () => ({ url: '/health' }) },
    {
      method: 'GET',
      route: '/openapi.json',
      access: 'public',
      prepare: async () => ({ url: '/openapi.json' }),
    },
    { method: 'GET', route: '/metrics', access: 'platform', prepare: async () => ({ url: '/metrics' }) },
    {
      method: 'POST',
      route: '/v1/tenants',
      access: 'platform',
      prepare: async () => ({ url: '/v1/tenants', body: { name: 'm' } }),
    },
    {
      method: 'GET',
      route: '/v1/tenants',
      access: 'platform',
      prepare: async () => ({ url: '/v1/tenants' }),
    },
    {
      method: 'GET',
      route: '/v1/tenants/{tenant}',
      access: 'platform',
      prepare: async () => ({ url: '/v1/tenants/ten-a' }),
    },
    {
      method: 'PATCH',
      route: '/v1/tenants/{tenant}',
      access: 'platform',
      prepare: async () => ({ url: '/v1/tenants/ten-a', body: { name: 'A' } }),
    },
    {
      method: 'DELETE',
      route: '/v1/tenants/{tenant}',
      access: 'platform',
      prepare: async () => {
        const id = `gone-${n++}`;
        await api.call('POST', '/v1/tenants', { body: { id, name: id } });
        return { url: `/v1/tenants/${id}` };
      },
    },
    {
      method: 'POST',
      route: '/v1/tenants/{tenant}/api-keys',
      access: 'admin',
      prepare: async () => ({ url: '/v1/tenants/ten-a/api-keys', body: { role: 'viewer' } }),
    },
    {
      method: 'GET',
      route: '/v1/tenants/{tenant}/api-keys',
      access: 'admin',
      prepare: async () => ({ url: '/v1/tenants/ten-a/api-keys' }),
    },
    {
      method: 'DELETE',
      route: '/v1/tenants/{tenant}/api-keys/{id}',
      access: 'admin',
      prepare: async () => {
        const k = await api.call('POST', '/v1/tenants/ten-a/api-keys', { body: { role: 'viewer' } });
        return { url: `/v1/tenants/ten-a/api-keys/${k.body.id}` };
      },
    },
    {
      method: 'PUT',
      route: '/v1/event-types/{name}',
      access: 'platform',
      prepare: async () => ({ url: '/v1/event-types/matrix.type', body: { description: 'd' } }),
    },
    {
      method: 'GET',
      route: '/v1/event-types',
      access: 'authenticated',
      prepare: async () => ({ url: '/v1/event-types' }),
    },
    {
      method: 'GET',
      route: '/v1/event-types/{name}',
      access: 'authenticated',
      prepare: async () => ({ url: '/v1/event-types/matrix.type' }),
    },
    {
      method: 'DELETE',
      route: '/v1/event-types/{name}',
      access: 'platform',
      prepare: async () => {
        const name = `gone.t${n++}`;
        await api.call('PUT', `/v1/event-types/${name}`, { body: {} });
        return { url: `/v1/event-types/${name}` };
      },
    },
    {
      method: 'POST',
      route: '/v1/tenants/{tenant}/webhooks',
      access: 'write',
      prepare: async () => ({ url: '/v1/tenants/ten-a/webhooks', body: { url: HOOK_URL } }),
    },
    {
      method: 'GET',
      route: '/v1/tenants/{tenant}/webhooks',
      access: 'read',
      prepare: async () => ({ url: '/v1/tenants/ten-a/webhooks' }),
    },
    {
      method: 'GET',
      route: '/v1/tenants/{tenant}/webhooks/{id}',
      access: 'read',
      prepare: async () => ({ url: `/v1/tenants/ten-a/webhooks/${webhookId}` }),
    },
    {
      method: 'PUT',
      route: '/v1/tenants/{tenant}/webhooks/{id}',
      access: 'write',
      prepare: async () => ({ url: `/v1/tenants/ten-a/webhooks/${webhookId}`, body: { url: HOOK_URL } }),
    },
    {
      method: 'PATCH',
      route: '/v1/tenants/{tenant}/webhooks/{id}',
      access: 'write',
      prepare: async () => ({ url: `/v1/tenants/ten-a/webhooks/${webhookId}`, body: { description: 'x' } }),
    },
    {
      method: 'DELETE',
      route: '/v1/tenants/{tenant}/webhooks/{id}',
      access: 'write',
      prepare: async () => ({ url: `/v1/tenants/ten-a/webhooks/${await freshWebhook()}` }),
    },
    {
      method: 'GET',
      route: '/v1/tenants/{tenant}/stats',
      access: 'read',
      prepare: async () => ({ url: '/v1/tenants/ten-a/stats' }),
    },
    {
      method: 'GET',
      route: '/v1/tenants/{tenant}/webhooks/{id}/stats',
      access: 'read',
      prepare: async () => ({ url: `/v1/tenants/ten-a/webhooks/${webhookId}/stats` }),
    },
    {
      method: 'GET',
      route: '/v1/tenants/{tenant}/webhooks/{id}/secret',
      access: 'write',
      prepare: async () => ({ url: `/v1/tenants/ten-a/webhooks/${webhookId}/secret` }),
    },
    {
      method: 'POST',
      route: '/v1/tenants/{tenant}/webhooks/{id}/secret/rotate',
      access: 'write',
      prepare: async () => ({ url: `/v1/tenants/ten-a/webhooks/${webhookId}/secret/rotate`, body: {} }),
    },
    {
      method: 'POST',
      route: '/v1/tenants/{tenant}/webhooks/{id}/test',
      access: 'write',
      prepare: async () => ({ url: `/v1/tenants/ten-a/webhooks/${webhookId}/test`, body: {} }),
    },
    {
      method: 'POST',
      route: '/v1/tenants/{tenant}/webhooks/{id}/recover',
      access: 'write',
      prepare: async () => ({
        url: `/v1/tenants/ten-a/webhooks/${webhookId}/recover`,
        body: { since: new Date(Date.now() - 3600_000).toISOString() },
      }),
    },
    {
      method: 'POST',
      route: '/v1/tenants/{tenant}/events',
      access: 'write',
      prepare: async () => ({ url: '/v1/tenants/ten-a/events', body: { type: 'a.b', data: {} } }),
    },
    {
      method: 'GET',
      route: '/v1/tenants/{tenant}/events',
      access: 'read',
      prepare: async () => ({ url: '/v1/tenants/ten-a/events' }),
    },
    {
      method: 'GET',
      route: '/v1/tenants/{tenant}/events/{id}',
      access: 'read',
      prepare: async () => ({ url: `/v1/tenants/ten-a/events/${eventId}` }),
    },
    {
      method: 'GET',
      route: '/v1/tenants/{tenant}/deliveries',
      access: 'read',
      prepare: async () => ({ url: '/v1/tenants/ten-a/deliveries' }),
    },
    {
      method: 'GET',
      route: '/v1/tenants/{tenant}/deliveries/{id}',
      access: 'read',
      prepare: async () => ({ url: `/v1/tenants/ten-a/deliveries/${deliveryId}` }),
    },
    {
      method: 'POST',
      route: '/v1/tenants/{tenant}/deliveries/{id}/retry',
      access: 'write',
      prepare: async () => ({ url: `/v1/tenants/ten-a/deliveries/${deliveryId}/retry` }),
    },
    {
      method: 'POST',
      route: '/v1/tenants/{tenant}/sources',
      access: 'write',
      prepare: async () => ({
        url: '/v1/tenants/ten-a/sources',
        body: { name: 's', verification: { type: 'none' } },
      }),
    },
    {
      method: 'GET',
      route: '/v1/tenants/{tenant}/sources',
      access: 'read',
      prepare: async () => ({ url: '/v1/tenants/ten-a/sources' }),
    },
    {
      method: 'GET',
      route: '/v1/tenants/{tenant}/sources/{id}',
      access: 'read',
      prepare: async () => ({ url: `/v1/tenants/ten-a/sources/${(await freshSource()).id}` }),
    },
    {
      method: 'PATCH',
      route: '/v1/tenants/{tenant}/sources/{id}',
      access: 'write',
      prepare: async () => ({
        url: `/v1/tenants/ten-a/sources/${(await freshSource()).id}`,
        body: { name: 'renamed' },
      }),
    },
    {
      method: 'DELETE',
      route: '/v1/tenants/{tenant}/sources/{id}',
      access: 'write',
      prepare: async () => ({ url: `/v1/tenants/ten-a/sources/${(await freshSource()).id}` }),
    },
    {
      method: 'GET',
      route: '/v1/tenants/{tenant}/sources/{id}/verification',
      access: 'write',
      prepare: async () => ({ url: `/v1/tenants/ten-a/sources/${(await freshSource()).id}/verification` }),
    },
    {
      method: 'POST',
      route: '/v1/tenants/{tenant}/sources/{id}/secret/rotate',
      access: 'write',
      prepare: async () => ({
        url: `/v1/tenants/ten-a/sources/${(await freshSource({ type: 'hmac', header: 'x-sig' })).id}/secret/rotate`,
        body: {},
      }),
    },
    {
      method: 'POST',
      route: '/v1/tenants/{tenant}/sources/{id}/rotate-url',
      access: 'write',
      prepare: async () => ({
        url: `/v1/tenants/ten-a/sources/${(await freshSource()).id}/rotate-url`,
        body: {},
      }),
    },
    {
      method: 'GET',
      route: '/v1/tenants/{tenant}/sources/{id}/requests',
      access: 'read',
      prepare: async () => ({ url: `/v1/tenants/ten-a/sources/${(await freshSource()).id}/requests` }),
    },
    {
      method: 'POST',
      route: '/v1/tenants/{tenant}/listeners',
      access: 'write',
      prepare: async () => ({
        url: '/v1/tenants/ten-a/listeners',
        body: { forward_to: 'http://localhost:3000/hooks' },
      }),
    },
    {
      method: 'GET',
      route: '/v1/tenants/{tenant}/listeners/{id}/stream',
      access: 'write',
      prepare: async () => {
        const l = await freshListener();
        // A stream never ends by itself: end it once it is open, so an allowed request completes.
        void waitFor(() => api.listeners.isConnected(l.id), { timeoutMs: 5_000 })
          .then(() => api.listeners.remove(l.id, 'ten-a', l.webhookId))
          .catch(() => undefined);
        return { url: `/v1/tenants/ten-a/listeners/${l.id}/stream` };
      },
    },
    {
      method: 'POST',
      route: '/v1/tenants/{tenant}/listeners/{id}/results',
      access: 'write',
      prepare: async () => {
        const l = await freshListener();
        // a request waiting for its result, as the dispatcher would push it
        api.listeners.attach(l.id, 'ten-a', l.webhookId, { write: () => undefined, end: () => undefined });
        const requestId = `att_matrix_${++n}`;
        void api.listeners.push(
          l.id,
          {
            request_id: requestId,
            delivery_id: 'dlv_x',
            event_id: 'evt_x',
            event_type: 'a.b',
            attempt: 1,
            webhook_id: l.webhookId,
            timeout_ms: 5_000,
            headers: {},
            body_base64: '',
          },
          5_000,
        );
        return {
          url: `/v1/tenants/ten-a/listeners/${l.id}/results`,
          body: { request_id: requestId, status: 200, duration_ms: 1 },
        };
      },
    },
    {
      method: 'DELETE',
      route: '/v1/tenants/{tenant}/listeners/{id}',
      access: 'write',
      prepare: async () => ({ url: `/v1/tenants/ten-a/listeners/${(await freshListener()).id}` }),
    },
    {
      method: 'GET',
      route: '/v1/me',
      access: 'authenticated',
      prepare: async () => ({ url: '/v1/me' }),
    },
    {
      method: 'POST',
      route: '/v1/tenants/{tenant}/portal-links',
      access: 'admin',
      prepare: async () => ({ url: '/v1/tenants/ten-a/portal-links', body: {} }),
    },
    {
      method: 'GET',
      route: '/v1/tenants/{tenant}/stream',
      access: 'read',
      endless: true,
      prepare: async () => ({ url: '/v1/tenants/ten-a/stream' }),
    },
    // the public receiver: no api key needed, whatever key is sent
    ...(['POST', 'PUT', 'PATCH'] as const).map((method): RouteCase => ({
      method,
      route: '/in/{token}',
      access: 'public',
      prepare: async () => ({ url: (await freshSource()).path, body: { hello: 'world' } }),
    })),
    {
      method: 'GET',
      route: '/in/{token}',
      access: 'public',
      prepare: async () => {
        const { path } = await freshSource({ type: 'meta', secret: 'app-secret', verify_token: 'vt' });
        return { url: `${path}?hub.mode=subscribe&hub.verify_token=vt&hub.challenge=42` };
      },
    },
  ];

  /** GET over a real socket; the status, headers and (for an error) body, then the connection is closed */
  async function openAndClose(url: string, key: string | null): Promise<ApiResponse> {
    const addr = api.app.server.address();
    const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
    const abort = new AbortController();
    const res = await fetch(`http://127.0.0.1:${port}${url}`, {
      headers: key === null ? {} : { authorization: `Bearer ${key}` },
      signal: abort.signal,
    });
    const headers = Object.fromEntries(res.headers);
    let text = '';
    if (res.status >= 300) text = await res.text();
    abort.abort();
    let body: unknown = null;
    try {
      body = text === '' ? null : JSON.parse(text);
    } catch {
      body = text;
    }
    return { status: res.status, body, text, headers };
  }

  beforeAll(async () => {
    api = await startApi({ env: { HOOKLANE_ALLOW_PRIVATE_NETWORKS: 'true' } });
    await api.app.listen({ port: 0, host: '127.0.0.1' });
    const a = await tenantWithKeys(api, 'ten-a');
    const b = await tenantWithKeys(api, 'ten-b');
    Object.assign(keys, {
      platform: ADMIN_KEY,
      a_admin: a.admin,
      a_editor: a.editor,
      a_viewer: a.viewer,
      b_admin: b.admin,
      none: null,
      bad: 'hl_not_a_real_key_at_all_000000000000000000000',
    });
    webhookId = await freshWebhook();
    const e = await api.call('POST', '/v1/tenants/ten-a/events', { body: { type: 'a.b', data: {} } });
    eventId = e.body.id;
    const d = await api.call('GET', `/v1/tenants/ten-a/deliveries?event_id=${eventId}`);
    deliveryId = d.body.data[0].id;
  });
  afterAll(async () => {
    await api?.close();
  });

  it('covers every route of the OpenAPI document (and so of API.md)', async () => {
    const doc = (await api.call('GET', '/openapi.json')).body;
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`),
    );
    const covered = ROUTES.map((r) => `${r.method} ${r.route}`);
    expect(covered.sort()).toEqual(documented.filter((r) => !r.startsWith('HEAD ')).sort());
  });

  for (const principal of [
    'platform',
    'a_admin',
    'a_editor',
    'a_viewer',
    'b_admin',
    'none',
    'bad',
  ] as const) {
    it(`${principal}: gets exactly what its role allows on every route`, async () => {
      const mismatches: string[] = [];
      for (const r of ROUTES) {
        const { url, body } = await r.prepare();
        const res = r.endless
          ? await openAndClose(url, keys[principal])
          : await api.call(r.method, url, {
              key: keys[principal],
              ...(body !== undefined ? { body } : {}),
            });
        const want = EXPECTED[r.access][principal];
        const ok = want === 2 ? res.status >= 200 && res.status < 300 : res.status === want;
        if (!ok)
          mismatches.push(
            `${r.method} ${r.route}: got ${res.status}, want ${want === 2 ? '2xx' : want}: ${res.text}`,
          );
        if (res.status >= 400) {
          expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
        }
      }
      expect(mismatches).toEqual([]);
    });
  }

  it('a tenant key cannot tell another tenant that exists from one that does not', async () => {
    for (const path of ['/v1/tenants/ten-a/webhooks', '/v1/tenants/no-such-tenant/webhooks']) {
      const res = await api.call('GET', path, { key: keys.b_admin });
      expectProblem(res, 403, 'forbidden');
      expect(res.body.detail).toBe('this key belongs to another tenant');
    }
    // The platform key, which may see everything, is told the truth.
    expectProblem(await api.call('GET', '/v1/tenants/no-such-tenant/webhooks'), 404, 'not_found');
  });

  it("a tenant key never reads another tenant's data through ids either", async () => {
    // Tenant B asks for A's webhook, event and delivery ids under its own tenant: nothing is found.
    for (const url of [
      `/v1/tenants/ten-b/webhooks/${webhookId}`,
      `/v1/tenants/ten-b/events/${eventId}`,
      `/v1/tenants/ten-b/deliveries/${deliveryId}`,
    ]) {
      expectProblem(await api.call('GET', url, { key: keys.b_admin }), 404, 'not_found');
    }
    const lists = await Promise.all(
      ['webhooks', 'events', 'deliveries'].map((r) =>
        api.call('GET', `/v1/tenants/ten-b/${r}`, { key: keys.b_admin }),
      ),
    );
    for (const l of lists) expect(l.body.data).toEqual([]);
  });

  it('deleting a tenant revokes its keys at once', async () => {
    const c = await tenantWithKeys(api, 'ten-c');
    expect((await api.call('GET', '/v1/tenants/ten-c/webhooks', { key: c.viewer })).status).toBe(200);
    expect((await api.call('DELETE', '/v1/tenants/ten-c')).status).toBe(204);
    expectProblem(await api.call('GET', '/v1/tenants/ten-c/webhooks', { key: c.viewer }), 401);
  });
});
