/**
 * Event ingest through the API: the event and its deliveries are stored before the 202; a repeat
 * (same id, or same Idempotency-Key header) answers 200 with the original and creates nothing, also
 * when the repeats arrive at the same moment; event-type JSON Schemas reject bad data with a 400
 * that lists every failing path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, startApi, type ApiHarness } from './harness.js';

const HOOK_URL = 'https://hooks.example.com/in';

describe('event ingest', () => {
  let api: ApiHarness;

  beforeAll(async () => {
    // no DNS in tests: a public literal stands in for the receiver (nothing is sent: no dispatcher)
    api = await startApi({ env: { HOOKLANE_ALLOW_PRIVATE_NETWORKS: 'true' } });
    for (const id of ['ing', 'other']) {
      expect((await api.call('POST', '/v1/tenants', { body: { id, name: id } })).status).toBe(201);
      const w = await api.call('POST', `/v1/tenants/${id}/webhooks`, { body: { url: HOOK_URL } });
      expect(w.status, w.text).toBe(201);
    }
  });
  afterAll(async () => {
    await api.close();
  });

  const deliveriesOf = async (tenant: string, eventId: string) =>
    (await api.call('GET', `/v1/tenants/${tenant}/deliveries?event_id=${encodeURIComponent(eventId)}`)).body
      .data as unknown[];

  it('the deliveries exist when the 202 is sent', async () => {
    const e = await api.call('POST', '/v1/tenants/ing/events', { body: { type: 'a.b', data: { x: 1 } } });
    expect(e.status, e.text).toBe(202);
    expect(e.body.deliveries).toBe(1);
    const stored = await api.store.deliveries.list('ing', { event_id: e.body.id }, { limit: 10 });
    expect(stored.data).toHaveLength(1);
    expect(stored.data[0]).toMatchObject({ status: 'pending', attempts: 0 });
  });

  it('same id again: 200 with the original event, no new delivery', async () => {
    const first = await api.call('POST', '/v1/tenants/ing/events', {
      body: { id: 'order-42', type: 'order.paid', data: { total: 10 } },
    });
    expect(first.status).toBe(202);
    const again = await api.call('POST', '/v1/tenants/ing/events', {
      body: { id: 'order-42', type: 'order.refunded', data: { total: 99 } },
    });
    expect(again.status, again.text).toBe(200);
    expect(again.body).toEqual({ ...first.body, deliveries: 0 });
    expect(await deliveriesOf('ing', 'order-42')).toHaveLength(1);
  });

  it('same Idempotency-Key header again: 200 with the original event, no new delivery', async () => {
    const headers = { 'idempotency-key': 'req-7f3a' };
    const first = await api.call('POST', '/v1/tenants/ing/events', {
      body: { type: 'user.created', data: { n: 1 } },
      headers,
    });
    expect(first.status).toBe(202);
    const again = await api.call('POST', '/v1/tenants/ing/events', {
      body: { type: 'user.created', data: { n: 2 } },
      headers,
    });
    expect(again.status, again.text).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.data).toEqual({ n: 1 });
    expect(await deliveriesOf('ing', first.body.id)).toHaveLength(1);
    const got = await api.call('GET', `/v1/tenants/ing/events/${first.body.id}`);
    expect(got.body.idempotency_key).toBe('req-7f3a');
  });

  it('simultaneous repeats: exactly one 202, the rest 200 with the same event, one delivery', async () => {
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        api.call('POST', '/v1/tenants/ing/events', { body: { id: 'race-1', type: 'a.b', data: { i } } }),
      ),
    );
    expect(results.filter((r) => r.status === 202)).toHaveLength(1);
    expect(results.filter((r) => r.status === 200)).toHaveLength(11);
    expect(new Set(results.map((r) => JSON.stringify(r.body.data)))).toHaveProperty('size', 1);
    expect(await deliveriesOf('ing', 'race-1')).toHaveLength(1);
  });

  it('a webhook whose filters overlap gets one delivery; filters match exactly, by prefix or all', async () => {
    expect((await api.call('POST', '/v1/tenants', { body: { id: 'flt', name: 'f' } })).status).toBe(201);
    const hook = async (events: string[]) =>
      (await api.call('POST', '/v1/tenants/flt/webhooks', { body: { url: HOOK_URL, events } })).body
        .id as string;
    const overlap = await hook(['user.created', 'user.*', '*']);
    const prefix = await hook(['user.*']);
    const exact = await hook(['user.created']);
    const deep = await hook(['user.email.*']);
    const targets = async (type: string) => {
      const e = await api.call('POST', '/v1/tenants/flt/events', { body: { type, data: {} } });
      expect(e.status, e.text).toBe(202);
      const page = await api.store.deliveries.list('flt', { event_id: e.body.id }, { limit: 10 });
      expect(e.body.deliveries).toBe(page.data.length);
      return page.data.map((d) => d.webhook_id).sort();
    };
    expect(await targets('user.created')).toEqual([overlap, prefix, exact].sort());
    expect(await targets('user.email.changed')).toEqual([overlap, prefix, deep].sort());
    expect(await targets('user')).toEqual([overlap]);
    expect(await targets('users.created')).toEqual([overlap]);
  });

  it('ids and keys are per tenant', async () => {
    const a = await api.call('POST', '/v1/tenants/ing/events', {
      body: { id: 'shared-id', type: 'a.b', data: 1 },
    });
    const b = await api.call('POST', '/v1/tenants/other/events', {
      body: { id: 'shared-id', type: 'a.b', data: 2 },
    });
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(b.body.data).toBe(2);
  });

  it('data is validated against the event type schema: 400 listing every failing path', async () => {
    const schema = {
      type: 'object',
      required: ['email', 'age'],
      properties: {
        email: { type: 'string', format: 'email' },
        age: { type: 'integer', minimum: 0 },
        address: { type: 'object', properties: { zip: { type: 'string', pattern: '^[0-9]{5}$' } } },
      },
      additionalProperties: false,
    };
    expect((await api.call('PUT', '/v1/event-types/user.signup', { body: { schema } })).status).toBe(201);

    const bad = await api.call('POST', '/v1/tenants/ing/events', {
      body: {
        type: 'user.signup',
        data: { email: 'not-an-email', age: -1, address: { zip: 'abc' }, extra: true },
      },
    });
    expectProblem(bad, 400, 'schema_violation');
    const paths = (bad.body.errors as { path: string; message: string }[]).map((e) => e.path).sort();
    expect(paths).toEqual(['data.address.zip', 'data.age', 'data.email', 'data.extra']);
    for (const e of bad.body.errors) expect(e.message).toEqual(expect.any(String));

    const missing = await api.call('POST', '/v1/tenants/ing/events', {
      body: { id: 'signup-1', type: 'user.signup', data: {} },
    });
    expectProblem(missing, 400, 'schema_violation');
    // nothing was stored for a rejected event
    expectProblem(await api.call('GET', '/v1/tenants/ing/events/signup-1'), 404);

    const ok = await api.call('POST', '/v1/tenants/ing/events', {
      body: { type: 'user.signup', data: { email: 'ada@example.com', age: 36 } },
    });
    expect(ok.status, ok.text).toBe(202);
  });
});
