/**
 * Every resource of API.md through its full life cycle, on a real SQLite store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { newId } from '../../src/domain/ids.js';
import { ADMIN_KEY, expectProblem, startApi, type ApiHarness } from './harness.js';

const HOOK_URL = 'http://127.0.0.1:9/hook';
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('API resources', () => {
  let api: ApiHarness;

  beforeAll(async () => {
    api = await startApi({ env: { HOOKLANE_ALLOW_PRIVATE_NETWORKS: 'true' } });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('health and metrics', async () => {
    const h = await api.call('GET', '/health', { key: null });
    expect(h.status).toBe(200);
    expect(h.body).toEqual({ status: 'ok' });
    expect(h.headers['x-request-id']).toMatch(/^req_/);

    const m = await api.call('GET', '/metrics');
    expect(m.status).toBe(200);
    expect(String(m.headers['content-type'])).toMatch(/^text\/plain/);
    expect(m.text).toContain('hooklane_http_requests_total{method="GET",route="/health",status="200"} 1');
  });

  it('tenants: create (own id or generated), get, list with cursor, patch, delete', async () => {
    const a = await api.call('POST', '/v1/tenants', {
      body: { id: 'crud-a', name: 'A', metadata: { plan: 'pro' } },
    });
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({ id: 'crud-a', name: 'A', metadata: { plan: 'pro' } });
    expect(a.body.created_at).toMatch(ISO);

    const gen = await api.call('POST', '/v1/tenants', { body: { name: 'Generated' } });
    expect(gen.status).toBe(201);
    expect(gen.body.id).toMatch(/^ten_/);
    expect(gen.body.metadata).toEqual({});

    expectProblem(
      await api.call('POST', '/v1/tenants', { body: { id: 'crud-a', name: 'again' } }),
      409,
      'conflict',
    );

    expect((await api.call('GET', '/v1/tenants/crud-a')).body.name).toBe('A');
    expectProblem(await api.call('GET', '/v1/tenants/nope'), 404, 'not_found');

    for (let i = 0; i < 3; i++) await api.call('POST', '/v1/tenants', { body: { name: `page-${i}` } });
    const seen = new Set<string>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await api.call('GET', `/v1/tenants?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      for (const t of res.body.data) {
        expect(seen.has(t.id)).toBe(false);
        seen.add(t.id);
      }
      cursor = res.body.next_cursor;
      pages++;
    } while (cursor !== null);
    expect(seen.size).toBe(5);
    expect(pages).toBe(3);

    const p = await api.call('PATCH', '/v1/tenants/crud-a', { body: { name: 'A2' } });
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({ name: 'A2', metadata: { plan: 'pro' } });

    expect((await api.call('DELETE', `/v1/tenants/${gen.body.id}`)).status).toBe(204);
    expectProblem(await api.call('GET', `/v1/tenants/${gen.body.id}`), 404);
    expectProblem(await api.call('DELETE', `/v1/tenants/${gen.body.id}`), 404);
  });

  it('api keys: the key is shown once, works, is listed without it, and stops working when revoked', async () => {
    await api.call('POST', '/v1/tenants', { body: { id: 'keys-t', name: 'K' } });
    const created = await api.call('POST', '/v1/tenants/keys-t/api-keys', {
      body: { role: 'viewer', name: 'ci' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ tenant_id: 'keys-t', role: 'viewer', name: 'ci' });
    expect(created.body.key).toMatch(/^hl_[A-Za-z0-9_-]{43}$/);
    expect(created.body.key.startsWith(created.body.key_prefix)).toBe(true);

    const viewer = created.body.key as string;
    expect((await api.call('GET', '/v1/tenants/keys-t/webhooks', { key: viewer })).status).toBe(200);

    const list = await api.call('GET', '/v1/tenants/keys-t/api-keys');
    expect(list.status).toBe(200);
    expect(list.body.data.map((k: any) => k.id)).toContain(created.body.id);
    expect(JSON.stringify(list.body)).not.toContain(viewer);

    expect((await api.call('DELETE', `/v1/tenants/keys-t/api-keys/${created.body.id}`)).status).toBe(204);
    expectProblem(await api.call('GET', '/v1/tenants/keys-t/webhooks', { key: viewer }), 401, 'unauthorized');
    expectProblem(await api.call('DELETE', `/v1/tenants/keys-t/api-keys/${created.body.id}`), 404);
  });

  it('event types: PUT creates (201) then replaces (200); GET, list, DELETE', async () => {
    const schema = {
      type: 'object',
      properties: { email: { type: 'string', format: 'email' } },
      required: ['email'],
    };
    const c = await api.call('PUT', '/v1/event-types/user.created', {
      body: { description: 'a user', schema },
    });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({ name: 'user.created', description: 'a user', schema });
    const r = await api.call('PUT', '/v1/event-types/user.created', { body: { description: 'v2' } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ description: 'v2', schema: null });
    await api.call('PUT', '/v1/event-types/user.deleted', { body: {} });

    expect((await api.call('GET', '/v1/event-types/user.created')).body.description).toBe('v2');
    const list = await api.call('GET', '/v1/event-types?limit=1');
    expect(list.body.data).toHaveLength(1);
    expect(list.body.next_cursor).not.toBeNull();
    const rest = await api.call('GET', `/v1/event-types?limit=250&cursor=${list.body.next_cursor}`);
    expect(rest.status).toBe(200);
    const names = [...list.body.data, ...rest.body.data].map((t: any) => t.name);
    expect(names).toEqual(expect.arrayContaining(['user.created', 'user.deleted']));
    expect(new Set(names).size).toBe(names.length);

    expect((await api.call('DELETE', '/v1/event-types/user.deleted')).status).toBe(204);
    expectProblem(await api.call('GET', '/v1/event-types/user.deleted'), 404);
  });

  it('webhooks: create with defaults and secret, get without it, PUT replace, PATCH, DELETE', async () => {
    await api.call('POST', '/v1/tenants', { body: { id: 'wh-t', name: 'W' } });
    const c = await api.call('POST', '/v1/tenants/wh-t/webhooks', {
      body: { url: HOOK_URL, events: ['user.*'] },
    });
    expect(c.status, c.text).toBe(201);
    expect(c.body).toMatchObject({
      tenant_id: 'wh-t',
      url: HOOK_URL,
      events: ['user.*'],
      description: '',
      active: true,
      paused: false,
      disabled_reason: null,
      headers: {},
      retry_policy: {
        max_attempts: 8,
        initial_delay_ms: 5000,
        backoff_multiplier: 5,
        max_delay_ms: 36_000_000,
      },
      timeout_ms: 30000,
      max_in_flight: 16,
      rate_limit_per_s: null,
      payload_format: 'envelope',
      metadata: {},
    });
    expect(c.body.id).toMatch(/^wh_/);
    expect(c.body.secret).toMatch(/^whsec_/);
    const id = c.body.id as string;

    const g = await api.call('GET', `/v1/tenants/wh-t/webhooks/${id}`);
    expect(g.status).toBe(200);
    expect(g.body.secret).toBeUndefined();
    expect(g.body.url).toBe(HOOK_URL);

    const put = await api.call('PUT', `/v1/tenants/wh-t/webhooks/${id}`, {
      body: { url: 'http://127.0.0.1:9/other', description: 'replaced', retry_policy: { max_attempts: 3 } },
    });
    expect(put.status, put.text).toBe(200);
    expect(put.body).toMatchObject({
      url: 'http://127.0.0.1:9/other',
      description: 'replaced',
      events: ['*'],
      retry_policy: { max_attempts: 3, initial_delay_ms: 5000 },
    });

    const patch = await api.call('PATCH', `/v1/tenants/wh-t/webhooks/${id}`, {
      body: {
        paused: true,
        headers: { 'X-Custom': 'v' },
        rate_limit_per_s: 5,
        timeout_ms: 1500,
        retry_policy: { initial_delay_ms: 10 },
      },
    });
    expect(patch.status, patch.text).toBe(200);
    expect(patch.body).toMatchObject({
      url: 'http://127.0.0.1:9/other',
      description: 'replaced',
      paused: true,
      headers: { 'X-Custom': 'v' },
      rate_limit_per_s: 5,
      timeout_ms: 1500,
      retry_policy: { max_attempts: 3, initial_delay_ms: 10 },
    });

    const list = await api.call('GET', '/v1/tenants/wh-t/webhooks');
    expect(list.body.data.map((w: any) => w.id)).toEqual([id]);
    expect(list.body.next_cursor).toBeNull();
    expect(list.body.data[0].secret).toBeUndefined();

    expect((await api.call('DELETE', `/v1/tenants/wh-t/webhooks/${id}`)).status).toBe(204);
    expectProblem(await api.call('GET', `/v1/tenants/wh-t/webhooks/${id}`), 404, 'not_found');
    expectProblem(
      await api.call('PATCH', `/v1/tenants/wh-t/webhooks/${id}`, { body: { paused: false } }),
      404,
    );
  });

  it('webhook secret: supplied on create, read back, rotated with a grace period', async () => {
    await api.call('POST', '/v1/tenants', { body: { id: 'sec-t', name: 'S' } });
    const mine = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    const c = await api.call('POST', '/v1/tenants/sec-t/webhooks', { body: { url: HOOK_URL, secret: mine } });
    expect(c.status, c.text).toBe(201);
    expect(c.body.secret).toBe(mine);
    const base = `/v1/tenants/sec-t/webhooks/${c.body.id}`;
    expect((await api.call('GET', `${base}/secret`)).body).toEqual({ secret: mine });

    const rotated = await api.call('POST', `${base}/secret/rotate`, { body: { grace_period_s: 3600 } });
    expect(rotated.status, rotated.text).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(mine);
    expect((await api.call('GET', `${base}/secret`)).body).toEqual({ secret: rotated.body.secret });

    const stored = await api.store.webhooks.get('sec-t', c.body.id);
    expect(stored!.secrets[0]).toEqual({ secret: rotated.body.secret, expires_at: null });
    const old = stored!.secrets.find((s) => s.secret === mine)!;
    expect(old.expires_at! - Date.now()).toBeGreaterThan(3590_000);
    expect(old.expires_at! - Date.now()).toBeLessThanOrEqual(3600_000);

    // The secret is a real Standard Webhooks secret.
    const sig = new StandardWebhook(rotated.body.secret).sign('msg_1', new Date(), '{}');
    expect(sig).toMatch(/^v1,/);

    // A rotation with no body uses the default grace of a day; grace 0 drops the old secret at once.
    expect((await api.call('POST', `${base}/secret/rotate`)).status).toBe(200);
    const again = await api.call('POST', `${base}/secret/rotate`, { body: { grace_period_s: 0 } });
    const after = await api.store.webhooks.get('sec-t', c.body.id);
    expect(after!.secrets[0]!.secret).toBe(again.body.secret);
    expect(after!.secrets.every((s) => s.expires_at === null || s.expires_at > Date.now())).toBe(true);
    expect(after!.secrets.some((s) => s.secret === rotated.body.secret)).toBe(true);
  });

  it('webhook test: one event delivered only to that webhook', async () => {
    await api.call('POST', '/v1/tenants', { body: { id: 'test-t', name: 'T' } });
    const a = await api.call('POST', '/v1/tenants/test-t/webhooks', {
      body: { url: HOOK_URL, events: ['x.y'] },
    });
    const b = await api.call('POST', '/v1/tenants/test-t/webhooks', {
      body: { url: HOOK_URL, events: ['*'] },
    });
    const res = await api.call('POST', `/v1/tenants/test-t/webhooks/${a.body.id}/test`, { body: {} });
    expect(res.status, res.text).toBe(202);
    expect(res.body).toMatchObject({ type: 'webhook.test', deliveries: 1 });
    const dl = await api.call('GET', `/v1/tenants/test-t/deliveries?event_id=${res.body.id}`);
    expect(dl.body.data.map((d: any) => d.webhook_id)).toEqual([a.body.id]);
    expect(dl.body.data.map((d: any) => d.webhook_id)).not.toContain(b.body.id);

    const custom = await api.call('POST', `/v1/tenants/test-t/webhooks/${a.body.id}/test`, {
      body: { type: 'ping.custom', data: { hello: 'world' } },
    });
    expect(custom.status).toBe(202);
    expect(custom.body).toMatchObject({ type: 'ping.custom', data: { hello: 'world' } });
  });

  it('events: 202 with deliveries per matching active webhook; get and list with filters', async () => {
    await api.call('POST', '/v1/tenants', { body: { id: 'ev-t', name: 'E' } });
    const users = await api.call('POST', '/v1/tenants/ev-t/webhooks', {
      body: { url: HOOK_URL, events: ['user.*'] },
    });
    await api.call('POST', '/v1/tenants/ev-t/webhooks', { body: { url: HOOK_URL, events: ['*'] } });
    await api.call('POST', '/v1/tenants/ev-t/webhooks', {
      body: { url: HOOK_URL, events: ['order.created'] },
    });
    await api.call('POST', '/v1/tenants/ev-t/webhooks', {
      body: { url: HOOK_URL, events: ['*'], active: false },
    });

    const e = await api.call('POST', '/v1/tenants/ev-t/events', {
      body: { type: 'user.created', data: { n: 1 } },
    });
    expect(e.status, e.text).toBe(202);
    expect(e.body).toMatchObject({ type: 'user.created', data: { n: 1 }, deliveries: 2 });
    expect(e.body.id).toMatch(/^evt_/);
    expect(e.body.timestamp).toMatch(ISO);
    expect(Object.keys(e.body)).toEqual(['id', 'type', 'timestamp', 'data', 'deliveries']);

    const o = await api.call('POST', '/v1/tenants/ev-t/events', {
      body: { id: 'order-1', type: 'order.created', data: [1] },
    });
    expect(o.body).toMatchObject({ id: 'order-1', deliveries: 2 });
    const none = await api.call('POST', '/v1/tenants/ev-t/events', {
      body: { type: 'invoice.sent', data: null },
    });
    expect(none.body.deliveries).toBe(1);

    const got = await api.call('GET', `/v1/tenants/ev-t/events/${e.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({
      id: e.body.id,
      type: 'user.created',
      data: { n: 1 },
      timestamp: e.body.timestamp,
    });
    expectProblem(await api.call('GET', '/v1/tenants/ev-t/events/missing'), 404);

    const all = await api.call('GET', '/v1/tenants/ev-t/events');
    expect(all.body.data).toHaveLength(3);
    const byType = await api.call('GET', '/v1/tenants/ev-t/events?type=order.created');
    expect(byType.body.data.map((x: any) => x.id)).toEqual(['order-1']);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await api.call('GET', `/v1/tenants/ev-t/events?since=${future}`)).body.data).toEqual([]);
    expect((await api.call('GET', `/v1/tenants/ev-t/events?until=${future}`)).body.data).toHaveLength(3);

    const forUsers = await api.call('GET', `/v1/tenants/ev-t/deliveries?webhook_id=${users.body.id}`);
    expect(forUsers.body.data).toHaveLength(1);
    expect(forUsers.body.data[0]).toMatchObject({ event_id: e.body.id, status: 'pending', attempt_count: 0 });
  });

  it('deliveries: list by status, get with attempts, retry', async () => {
    await api.call('POST', '/v1/tenants', { body: { id: 'dl-t', name: 'D' } });
    const w = await api.call('POST', '/v1/tenants/dl-t/webhooks', { body: { url: HOOK_URL } });
    const e = await api.call('POST', '/v1/tenants/dl-t/events', { body: { type: 'a.b', data: {} } });
    const list = await api.call('GET', '/v1/tenants/dl-t/deliveries?status=pending');
    expect(list.body.data).toHaveLength(1);
    const d = list.body.data[0];
    expect(d).toMatchObject({
      event_id: e.body.id,
      webhook_id: w.body.id,
      event_type: 'a.b',
      status: 'pending',
    });
    expect((await api.call('GET', '/v1/tenants/dl-t/deliveries?status=failed')).body.data).toEqual([]);

    // A worker takes it and fails it for good, through the real queue verbs.
    const now = Date.now();
    const claimed = await api.store.queue.claim({
      workerId: 'w1',
      limit: 10,
      now,
      leaseMarginMs: 1000,
      excludeWebhookIds: [],
      perWebhookLimit: 10,
    });
    const mine = claimed.find((c) => c.delivery.id === d.id)!;
    expect(mine).toBeDefined();
    await api.store.queue.complete(
      'w1',
      [
        {
          tenant_id: 'dl-t',
          delivery_id: d.id,
          outcome: 'failed',
          attempt: {
            tenant_id: 'dl-t',
            id: newId('attempt', now),
            delivery_id: d.id,
            event_id: e.body.id,
            webhook_id: w.body.id,
            attempt_number: 1,
            started_at: now,
            duration_ms: 12,
            url: HOOK_URL,
            request_headers: { 'content-type': 'application/json' },
            response_status: 500,
            response_body: 'boom',
            error: null,
            error_class: '5xx',
            succeeded: false,
          },
        },
      ],
      now,
    );

    const got = await api.call('GET', `/v1/tenants/dl-t/deliveries/${d.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({
      status: 'failed',
      attempt_count: 1,
      last_status_code: 500,
      next_attempt_at: null,
    });
    expect(got.body.attempts).toHaveLength(1);
    expect(got.body.attempts[0]).toMatchObject({
      attempt_number: 1,
      response_status: 500,
      response_body: 'boom',
      error_class: '5xx',
      succeeded: false,
      duration_ms: 12,
    });
    expect(got.body.attempts[0].started_at).toMatch(ISO);

    const retried = await api.call('POST', `/v1/tenants/dl-t/deliveries/${d.id}/retry`);
    expect(retried.status, retried.text).toBe(202);
    expect(retried.body).toMatchObject({ id: d.id, status: 'pending' });
    expectProblem(await api.call('POST', '/v1/tenants/dl-t/deliveries/dlv_nope/retry'), 404);
  });

  it('recover: failed deliveries of a time window become pending again', async () => {
    await api.call('POST', '/v1/tenants', { body: { id: 'rc-t', name: 'R' } });
    const w = await api.call('POST', '/v1/tenants/rc-t/webhooks', { body: { url: HOOK_URL } });
    const since = new Date(Date.now() - 1000).toISOString();
    await api.call('POST', '/v1/tenants/rc-t/events', { body: { type: 'a.b', data: {} } });
    const pending = await api.call('GET', '/v1/tenants/rc-t/deliveries');
    const d = pending.body.data[0];
    const now = Date.now();
    await api.store.queue.claim({
      workerId: 'w2',
      limit: 100,
      now,
      leaseMarginMs: 1000,
      excludeWebhookIds: [],
      perWebhookLimit: 100,
    });
    await api.store.queue.complete(
      'w2',
      [
        {
          tenant_id: 'rc-t',
          delivery_id: d.id,
          outcome: 'failed',
          attempt: {
            tenant_id: 'rc-t',
            id: newId('attempt', now),
            delivery_id: d.id,
            event_id: d.event_id,
            webhook_id: w.body.id,
            attempt_number: 1,
            started_at: now,
            duration_ms: 1,
            url: HOOK_URL,
            request_headers: {},
            response_status: null,
            response_body: null,
            error: 'connect ECONNREFUSED',
            error_class: 'connect',
            succeeded: false,
          },
        },
      ],
      now,
    );
    const res = await api.call('POST', `/v1/tenants/rc-t/webhooks/${w.body.id}/recover`, { body: { since } });
    expect(res.status, res.text).toBe(202);
    expect(res.body).toEqual({ deliveries: 1 });
    expect((await api.call('GET', `/v1/tenants/rc-t/deliveries/${d.id}`)).body.status).toBe('pending');
    const again = await api.call('POST', `/v1/tenants/rc-t/webhooks/${w.body.id}/recover`, {
      body: { since },
    });
    expect(again.body).toEqual({ deliveries: 0 });
  });

  it('deleting a webhook cancels its pending deliveries', async () => {
    await api.call('POST', '/v1/tenants', { body: { id: 'del-t', name: 'D' } });
    const w = await api.call('POST', '/v1/tenants/del-t/webhooks', { body: { url: HOOK_URL } });
    await api.call('POST', '/v1/tenants/del-t/events', { body: { type: 'a.b', data: {} } });
    expect((await api.call('DELETE', `/v1/tenants/del-t/webhooks/${w.body.id}`)).status).toBe(204);
    const dl = await api.call('GET', '/v1/tenants/del-t/deliveries');
    expect(dl.body.data.map((d: any) => d.status)).toEqual(['cancelled']);
  });

  it('the platform admin key from the environment is the only platform key', async () => {
    const res = await api.call('GET', '/v1/tenants', { key: ADMIN_KEY });
    expect(res.status).toBe(200);
    expect(await api.store.apiKeys.countPlatformKeys()).toBe(1);
  });
});
