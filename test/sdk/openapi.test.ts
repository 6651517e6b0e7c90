/**
 * The SDK client and the server must describe the same API. Two checks against the server's own
 * `/openapi.json`:
 *
 * 1. Every client method is called (with a recording fetch) and its request must hit a path and
 *    method the document has, with query parameters, headers and body fields it declares. A new
 *    client method that this test does not call fails it, so nothing escapes the check.
 * 2. The SDK's wire types list their fields here; the compiler checks each list is exactly the
 *    type's keys (both ways), and this test checks it is exactly the schema's properties, with the
 *    same fields required.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hooklane } from '../../src/sdk/client.js';
import type * as T from '../../src/sdk/types.js';
import { startApi, type ApiHarness } from '../api/harness.js';

// ── the OpenAPI document ────────────────────────────────────────────────────────────────────

interface Schema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
}
interface Operation {
  parameters?: { in: string; name: string; required?: boolean }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
}
interface OpenApi {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

let api: ApiHarness;
let doc: OpenApi;

beforeAll(async () => {
  api = await startApi();
  const res = await api.call('GET', '/openapi.json', { key: null });
  expect(res.status).toBe(200);
  doc = res.body as OpenApi;
});

afterAll(async () => {
  await api?.close();
});

function resolve(s: Schema): Schema {
  if (s.$ref !== undefined) {
    const name = s.$ref.replace('#/components/schemas/', '');
    const found = doc.components.schemas[name];
    if (found === undefined) throw new Error(`unresolved ${s.$ref}`);
    return resolve(found);
  }
  const nonNull = s.anyOf?.filter((x) => x.type !== 'null');
  if (nonNull?.length === 1) return resolve(nonNull[0]!);
  return s;
}

/** the template path (`/v1/tenants/{tenant}`) a concrete path matches, for this method */
function operationFor(method: string, path: string): { template: string; op: Operation } | null {
  for (const [template, ops] of Object.entries(doc.paths)) {
    const re = new RegExp('^' + template.replace(/\{[^}]+\}/g, '[^/]+') + '$');
    const op = ops[method.toLowerCase()];
    if (re.test(path) && op !== undefined) return { template, op };
  }
  return null;
}

function requestSchema(op: Operation): Schema | null {
  const s = op.requestBody?.content['application/json']?.schema;
  return s === undefined ? null : resolve(s);
}

function responseSchema(method: string, template: string, status: string): Schema {
  const op = doc.paths[template]?.[method];
  const s = op?.responses[status]?.content?.['application/json']?.schema;
  if (s === undefined) throw new Error(`${method} ${template} has no ${status} JSON response`);
  return resolve(s);
}

// ── 1. every client method against the document ─────────────────────────────────────────────

interface Recorded {
  method: string;
  path: string;
  query: string[];
  headers: string[];
  body: Record<string, unknown> | undefined;
}

function recordingClient(calls: Recorded[]): Hooklane {
  const fakeFetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const headers = Object.keys((init?.headers ?? {}) as Record<string, string>);
    calls.push({
      method: init?.method ?? 'GET',
      path: url.pathname,
      query: [...url.searchParams.keys()],
      headers,
      body: typeof init?.body === 'string' ? (JSON.parse(init.body) as Record<string, unknown>) : undefined,
    });
    // one empty page answers lists; other methods ignore the body
    return new Response(JSON.stringify({ data: [], next_cursor: null }), {
      status: 200,
      headers: { 'content-type': 'application/json' },
    });
  }) as typeof fetch;
  return new Hooklane({ baseUrl: 'http://hooklane.test', apiKey: 'hl_test', fetch: fakeFetch });
}

async function drain(it: AsyncIterable<unknown>) {
  for await (const _ of it) void _;
}

const since = new Date('2026-01-01T00:00:00Z');
const page = { limit: 10, cursor: 'c' };

/** every client method, called with every optional field set */
const calls: Record<string, Record<string, (c: Hooklane) => Promise<unknown>>> = {
  root: {
    health: (c) => c.health(),
    stats: (c) => c.stats('acme', '1h'),
    me: (c) => c.me(),
  },
  portalLinks: {
    create: (c) => c.portalLinks.create('acme', { expires_in_s: 600, role: 'viewer' }),
  },
  tenants: {
    create: (c) => c.tenants.create({ id: 'acme', name: 'Acme', metadata: { a: 1 } }),
    list: (c) => c.tenants.list(page),
    iterate: (c) => drain(c.tenants.iterate({ limit: 5 })),
    get: (c) => c.tenants.get('acme'),
    update: (c) => c.tenants.update('acme', { name: 'A', metadata: {} }),
    delete: (c) => c.tenants.delete('acme'),
  },
  apiKeys: {
    create: (c) => c.apiKeys.create('acme', { role: 'editor', name: 'ci' }),
    list: (c) => c.apiKeys.list('acme', page),
    iterate: (c) => drain(c.apiKeys.iterate('acme')),
    delete: (c) => c.apiKeys.delete('acme', 'key_1'),
  },
  eventTypes: {
    upsert: (c) => c.eventTypes.upsert('user.created', { description: 'd', schema: { type: 'object' } }),
    list: (c) => c.eventTypes.list(page),
    iterate: (c) => drain(c.eventTypes.iterate()),
    get: (c) => c.eventTypes.get('user.created'),
    delete: (c) => c.eventTypes.delete('user.created'),
  },
  webhooks: {
    create: (c) =>
      c.webhooks.create('acme', { url: 'https://x.test', secret: 'whsec_x', ...allWebhookFields }),
    list: (c) => c.webhooks.list('acme', page),
    iterate: (c) => drain(c.webhooks.iterate('acme')),
    get: (c) => c.webhooks.get('acme', 'wh_1'),
    replace: (c) => c.webhooks.replace('acme', 'wh_1', { url: 'https://x.test', ...allWebhookFields }),
    update: (c) => c.webhooks.update('acme', 'wh_1', { url: 'https://x.test', ...allWebhookFields }),
    delete: (c) => c.webhooks.delete('acme', 'wh_1'),
    secret: (c) => c.webhooks.secret('acme', 'wh_1'),
    rotateSecret: (c) => c.webhooks.rotateSecret('acme', 'wh_1', { secret: 'whsec_x', grace_period_s: 60 }),
    test: (c) => c.webhooks.test('acme', 'wh_1', { type: 'webhook.test', data: {} }),
    stats: (c) => c.webhooks.stats('acme', 'wh_1', '7d'),
    recover: (c) => c.webhooks.recover('acme', 'wh_1', { since, until: since }),
  },
  events: {
    send: (c) => c.events.send('acme', { id: 'e1', type: 'user.created', data: {} }, { idempotencyKey: 'k' }),
    get: (c) => c.events.get('acme', 'e1'),
    list: (c) =>
      c.events.list('acme', { ...page, type: 'user.created', since, until: since, source_id: 's' }),
    iterate: (c) => drain(c.events.iterate('acme', { type: 'user.created' })),
    streamUrl: async (c) => {
      const url = new URL(c.events.streamUrl('acme'));
      expect(operationFor('GET', url.pathname), url.pathname).not.toBeNull();
    },
  },
  deliveries: {
    list: (c) => c.deliveries.list('acme', { ...page, event_id: 'e', webhook_id: 'w', status: 'failed' }),
    iterate: (c) => drain(c.deliveries.iterate('acme', { status: 'pending' })),
    get: (c) => c.deliveries.get('acme', 'dlv_1'),
    retry: (c) => c.deliveries.retry('acme', 'dlv_1'),
  },
  sources: {
    create: (c) =>
      c.sources.create('acme', {
        name: 'stripe',
        verification: { type: 'stripe', secret: 'whsec_x' },
        ...allSourceFields,
      }),
    list: (c) => c.sources.list('acme', page),
    iterate: (c) => drain(c.sources.iterate('acme')),
    get: (c) => c.sources.get('acme', 'src_1'),
    update: (c) =>
      c.sources.update('acme', 'src_1', {
        name: 'n',
        verification: { type: 'hmac', header: 'x-sig', algorithm: 'sha256' },
        ...allSourceFields,
      }),
    delete: (c) => c.sources.delete('acme', 'src_1'),
    verification: (c) => c.sources.verification('acme', 'src_1'),
    rotateUrl: (c) => c.sources.rotateUrl('acme', 'src_1', { grace_period_s: 60 }),
    rotateSecret: (c) => c.sources.rotateSecret('acme', 'src_1', { secret: 's', grace_period_s: 60 }),
    requests: (c) => c.sources.requests('acme', 'src_1', page),
    iterateRequests: (c) => drain(c.sources.iterateRequests('acme', 'src_1', { limit: 5 })),
  },
  listeners: {
    register: (c) =>
      c.listeners.register('acme', { forward_to: 'http://localhost:3000', events: ['*'], id: 'lsn_1' }),
    report: (c) =>
      c.listeners.report('acme', 'lsn_1', {
        request_id: 'att_1',
        status: 200,
        body: 'ok',
        duration_ms: 1,
        error: null,
        error_class: null,
        retry_after: null,
      }),
    delete: (c) => c.listeners.delete('acme', 'lsn_1'),
    streamUrl: async (c) => {
      // not a request: the URL must still be a GET route of the document
      const url = new URL(c.listeners.streamUrl('acme', 'lsn_1'));
      expect(operationFor('GET', url.pathname), url.pathname).not.toBeNull();
    },
  },
};

const allSourceFields: Omit<T.SourceFields, 'name'> = {
  active: true,
  tolerance_s: 300,
  event_type: { from_json_pointer: '/type', prefix: 'stripe.' },
  id_from: { json_pointer: '/id' },
  dedupe_window_s: 60,
  rate_limit_per_s: null,
  max_body_bytes: 1024,
  schema: null,
};

const allWebhookFields: T.WebhookFields = {
  events: ['*'],
  description: 'd',
  active: true,
  paused: false,
  headers: { 'x-a': 'b' },
  retry_policy: { max_attempts: 3 },
  timeout_ms: 1000,
  max_in_flight: 1,
  rate_limit_per_s: null,
  payload_format: 'envelope',
  metadata: {},
};

describe('SDK client vs /openapi.json', () => {
  it('calls every client method in this test', () => {
    const client = recordingClient([]);
    for (const [resource, methods] of Object.entries(calls)) {
      if (resource === 'root') continue;
      const instance = (client as unknown as Record<string, object>)[resource];
      expect(instance, resource).toBeDefined();
      const proto = Object.getPrototypeOf(instance) as object;
      const declared = Object.getOwnPropertyNames(proto).filter(
        (m) =>
          m !== 'constructor' && m !== 'path' && typeof (proto as Record<string, unknown>)[m] === 'function',
      );
      expect(Object.keys(methods).sort(), resource).toEqual(declared.sort());
    }
    const resources = Object.keys(client).filter((k) => k !== 'http');
    expect(resources.sort()).toEqual(
      Object.keys(calls)
        .filter((k) => k !== 'root')
        .sort(),
    );
    const rootMethods = Object.getOwnPropertyNames(Hooklane.prototype).filter(
      (m) =>
        m !== 'constructor' &&
        typeof Object.getOwnPropertyDescriptor(Hooklane.prototype, m)?.value === 'function',
    );
    expect(Object.keys(calls.root!).sort()).toEqual(rootMethods.sort());
  });

  for (const [resource, methods] of Object.entries(calls)) {
    for (const [name, call] of Object.entries(methods)) {
      it(`${resource}.${name} maps to a documented route with documented fields`, async () => {
        const recorded: Recorded[] = [];
        await call(recordingClient(recorded));
        for (const r of recorded) {
          const found = operationFor(r.method, r.path);
          expect(found, `${r.method} ${r.path} is not in /openapi.json`).not.toBeNull();
          const { op } = found!;
          const params = op.parameters ?? [];
          for (const q of r.query)
            expect(
              params.some((p) => p.in === 'query' && p.name === q),
              `query ?${q}`,
            ).toBe(true);
          for (const h of r.headers) {
            if (['authorization', 'accept', 'content-type'].includes(h)) continue;
            expect(
              params.some((p) => p.in === 'header' && p.name === h),
              `header ${h}`,
            ).toBe(true);
          }
          const schema = requestSchema(op);
          if (r.body !== undefined) {
            expect(schema, `${r.method} ${r.path} takes no JSON body`).not.toBeNull();
            for (const field of Object.keys(r.body))
              expect(Object.keys(schema!.properties ?? {}), `body field ${field}`).toContain(field);
          }
        }
      });
    }
  }
});

// ── 2. wire types vs component schemas ───────────────────────────────────────────────────────

/** compiles only when `K` lists exactly the keys of `Type` */
type Exactly<Type, K extends readonly string[]> = [
  Exclude<keyof Type, K[number]>,
  Exclude<K[number], keyof Type>,
] extends [never, never]
  ? K
  : { missing: Exclude<keyof Type, K[number]>; extra: Exclude<K[number], keyof Type> };
const fieldsOf =
  <Type>() =>
  <const K extends readonly string[]>(keys: K & Exactly<Type, K>) =>
    keys as readonly string[];

/** optional fields of a type, for the `required` comparison */
type OptionalKeys<Type> = { [P in keyof Type]-?: undefined extends Type[P] ? P : never }[keyof Type];
const optionalOf =
  <Type>() =>
  <const K extends readonly string[]>(keys: K & Exactly<Pick<Type, OptionalKeys<Type>>, K>) =>
    keys as readonly string[];

const RESPONSES: [string, readonly string[], readonly string[], () => Schema][] = [
  [
    'Tenant',
    fieldsOf<T.Tenant>()(['id', 'name', 'metadata', 'created_at', 'updated_at']),
    optionalOf<T.Tenant>()([]),
    () => responseSchema('get', '/v1/tenants/{tenant}', '200'),
  ],
  [
    'ApiKeyCreated',
    fieldsOf<T.ApiKeyCreated>()([
      'id',
      'tenant_id',
      'role',
      'name',
      'key_prefix',
      'created_at',
      'last_used_at',
      'key',
    ]),
    optionalOf<T.ApiKeyCreated>()([]),
    () => responseSchema('post', '/v1/tenants/{tenant}/api-keys', '201'),
  ],
  [
    'ApiKey',
    fieldsOf<T.ApiKey>()(['id', 'tenant_id', 'role', 'name', 'key_prefix', 'created_at', 'last_used_at']),
    optionalOf<T.ApiKey>()([]),
    () => resolve(responseSchema('get', '/v1/tenants/{tenant}/api-keys', '200').properties!.data!.items!),
  ],
  [
    'EventType',
    fieldsOf<T.EventType>()(['name', 'description', 'schema', 'created_at', 'updated_at']),
    optionalOf<T.EventType>()([]),
    () => responseSchema('get', '/v1/event-types/{name}', '200'),
  ],
  [
    'Webhook',
    fieldsOf<T.Webhook>()([
      'id',
      'tenant_id',
      'url',
      'events',
      'description',
      'active',
      'paused',
      'disabled_reason',
      'headers',
      'retry_policy',
      'timeout_ms',
      'max_in_flight',
      'rate_limit_per_s',
      'payload_format',
      'metadata',
      'listener_id',
      'created_at',
      'updated_at',
    ]),
    optionalOf<T.Webhook>()([]),
    () => responseSchema('get', '/v1/tenants/{tenant}/webhooks/{id}', '200'),
  ],
  [
    'RetryPolicy',
    fieldsOf<T.RetryPolicy>()(['max_attempts', 'initial_delay_ms', 'backoff_multiplier', 'max_delay_ms']),
    optionalOf<T.RetryPolicy>()([]),
    () =>
      resolve(responseSchema('get', '/v1/tenants/{tenant}/webhooks/{id}', '200').properties!.retry_policy!),
  ],
  [
    'WebhookSecret',
    fieldsOf<T.WebhookSecret>()(['secret']),
    optionalOf<T.WebhookSecret>()([]),
    () => responseSchema('get', '/v1/tenants/{tenant}/webhooks/{id}/secret', '200'),
  ],
  [
    'RecoverResult',
    fieldsOf<T.RecoverResult>()(['deliveries']),
    optionalOf<T.RecoverResult>()([]),
    () => responseSchema('post', '/v1/tenants/{tenant}/webhooks/{id}/recover', '202'),
  ],
  [
    'EventAccepted',
    fieldsOf<T.EventAccepted>()(['id', 'type', 'timestamp', 'data', 'deliveries']),
    optionalOf<T.EventAccepted>()(['data']),
    () => responseSchema('post', '/v1/tenants/{tenant}/events', '202'),
  ],
  [
    'Event',
    fieldsOf<T.Event>()(['id', 'type', 'timestamp', 'data', 'idempotency_key', 'source_id', 'created_at']),
    optionalOf<T.Event>()(['data']),
    () => responseSchema('get', '/v1/tenants/{tenant}/events/{id}', '200'),
  ],
  [
    'Delivery',
    fieldsOf<T.Delivery>()([
      'id',
      'tenant_id',
      'event_id',
      'webhook_id',
      'event_type',
      'status',
      'attempt_count',
      'next_attempt_at',
      'last_status_code',
      'last_error',
      'created_at',
      'updated_at',
      'completed_at',
    ]),
    optionalOf<T.Delivery>()([]),
    () => resolve(responseSchema('get', '/v1/tenants/{tenant}/deliveries', '200').properties!.data!.items!),
  ],
  [
    'Attempt',
    fieldsOf<T.Attempt>()([
      'id',
      'delivery_id',
      'attempt_number',
      'started_at',
      'duration_ms',
      'url',
      'request_headers',
      'response_status',
      'response_body',
      'error',
      'error_class',
      'succeeded',
    ]),
    optionalOf<T.Attempt>()([]),
    () =>
      resolve(
        responseSchema('get', '/v1/tenants/{tenant}/deliveries/{id}', '200').properties!.attempts!.items!,
      ),
  ],
  [
    'Source',
    fieldsOf<T.Source>()([
      'id',
      'tenant_id',
      'name',
      'url',
      'active',
      'verification',
      'previous_secrets_expire_at',
      'tolerance_s',
      'event_type',
      'id_from',
      'dedupe_window_s',
      'rate_limit_per_s',
      'max_body_bytes',
      'schema',
      'created_at',
      'updated_at',
    ]),
    optionalOf<T.Source>()([]),
    () => responseSchema('get', '/v1/tenants/{tenant}/sources/{id}', '200'),
  ],
  [
    'SourceCreated',
    fieldsOf<T.SourceCreated>()([
      'id',
      'tenant_id',
      'name',
      'url',
      'active',
      'verification',
      'previous_secrets_expire_at',
      'tolerance_s',
      'event_type',
      'id_from',
      'dedupe_window_s',
      'rate_limit_per_s',
      'max_body_bytes',
      'schema',
      'created_at',
      'updated_at',
    ]),
    optionalOf<T.SourceCreated>()([]),
    () => responseSchema('post', '/v1/tenants/{tenant}/sources', '201'),
  ],
  [
    'SourceRequest',
    fieldsOf<T.SourceRequest>()([
      'id',
      'source_id',
      'received_at',
      'method',
      'headers',
      'content_type',
      'body_bytes',
      'body_excerpt',
      'status',
      'outcome',
      'reason',
      'event_id',
    ]),
    optionalOf<T.SourceRequest>()([]),
    () =>
      resolve(
        responseSchema('get', '/v1/tenants/{tenant}/sources/{id}/requests', '200').properties!.data!.items!,
      ),
  ],
  [
    'WhoAmI',
    fieldsOf<T.WhoAmI>()(['kind', 'tenant_id', 'role', 'portal']),
    optionalOf<T.WhoAmI>()([]),
    () => responseSchema('get', '/v1/me', '200'),
  ],
  [
    'PortalLink',
    fieldsOf<T.PortalLink>()(['url', 'token', 'tenant_id', 'role', 'expires_at']),
    optionalOf<T.PortalLink>()([]),
    () => responseSchema('post', '/v1/tenants/{tenant}/portal-links', '201'),
  ],
  [
    'Stats',
    fieldsOf<T.Stats>()(['window', 'bucket_s', 'since', 'until', 'webhook_id', 'total', 'buckets']),
    optionalOf<T.Stats>()([]),
    () => responseSchema('get', '/v1/tenants/{tenant}/stats', '200'),
  ],
  [
    'StatsBucket',
    fieldsOf<T.StatsBucket>()([
      'start',
      'events',
      'deliveries',
      'success_rate',
      'attempts',
      'attempts_succeeded',
      'latency_ms',
      'errors',
    ]),
    optionalOf<T.StatsBucket>()([]),
    () => resolve(responseSchema('get', '/v1/tenants/{tenant}/stats', '200').properties!.total!),
  ],
  [
    'Listener',
    fieldsOf<T.Listener>()([
      'id',
      'webhook_id',
      'tenant_id',
      'forward_to',
      'events',
      'secret',
      'grace_period_ms',
    ]),
    optionalOf<T.Listener>()([]),
    () => responseSchema('post', '/v1/tenants/{tenant}/listeners', '201'),
  ],
];

const REQUESTS: [string, readonly string[], readonly string[], string, string][] = [
  [
    'TenantCreate',
    fieldsOf<T.TenantCreate>()(['id', 'name', 'metadata']),
    optionalOf<T.TenantCreate>()(['id', 'metadata']),
    'post',
    '/v1/tenants',
  ],
  [
    'TenantUpdate',
    fieldsOf<T.TenantUpdate>()(['name', 'metadata']),
    optionalOf<T.TenantUpdate>()(['name', 'metadata']),
    'patch',
    '/v1/tenants/{tenant}',
  ],
  [
    'ApiKeyCreate',
    fieldsOf<T.ApiKeyCreate>()(['role', 'name']),
    optionalOf<T.ApiKeyCreate>()(['name']),
    'post',
    '/v1/tenants/{tenant}/api-keys',
  ],
  [
    'EventTypePut',
    fieldsOf<T.EventTypePut>()(['description', 'schema']),
    optionalOf<T.EventTypePut>()(['description', 'schema']),
    'put',
    '/v1/event-types/{name}',
  ],
  [
    'WebhookCreate',
    fieldsOf<T.WebhookCreate>()([
      'url',
      'secret',
      'events',
      'description',
      'active',
      'paused',
      'headers',
      'retry_policy',
      'timeout_ms',
      'max_in_flight',
      'rate_limit_per_s',
      'payload_format',
      'metadata',
    ]),
    optionalOf<T.WebhookCreate>()([
      'secret',
      'events',
      'description',
      'active',
      'paused',
      'headers',
      'retry_policy',
      'timeout_ms',
      'max_in_flight',
      'rate_limit_per_s',
      'payload_format',
      'metadata',
    ]),
    'post',
    '/v1/tenants/{tenant}/webhooks',
  ],
  [
    'SecretRotate',
    fieldsOf<T.SecretRotate>()(['secret', 'grace_period_s']),
    optionalOf<T.SecretRotate>()(['secret', 'grace_period_s']),
    'post',
    '/v1/tenants/{tenant}/webhooks/{id}/secret/rotate',
  ],
  [
    'WebhookTest',
    fieldsOf<T.WebhookTest>()(['type', 'data']),
    optionalOf<T.WebhookTest>()(['type', 'data']),
    'post',
    '/v1/tenants/{tenant}/webhooks/{id}/test',
  ],
  [
    'WebhookRecover',
    fieldsOf<T.WebhookRecover>()(['since', 'until']),
    optionalOf<T.WebhookRecover>()(['until']),
    'post',
    '/v1/tenants/{tenant}/webhooks/{id}/recover',
  ],
  [
    'EventSend',
    fieldsOf<T.EventSend>()(['id', 'type', 'data']),
    optionalOf<T.EventSend>()(['id', 'data']),
    'post',
    '/v1/tenants/{tenant}/events',
  ],
  [
    'SourceCreate',
    fieldsOf<T.SourceCreate>()([
      'name',
      'active',
      'tolerance_s',
      'event_type',
      'id_from',
      'dedupe_window_s',
      'rate_limit_per_s',
      'max_body_bytes',
      'schema',
      'verification',
    ]),
    optionalOf<T.SourceCreate>()([
      'active',
      'tolerance_s',
      'event_type',
      'id_from',
      'dedupe_window_s',
      'rate_limit_per_s',
      'max_body_bytes',
      'schema',
    ]),
    'post',
    '/v1/tenants/{tenant}/sources',
  ],
  [
    'SourceUpdate',
    fieldsOf<T.SourceUpdate>()([
      'name',
      'active',
      'tolerance_s',
      'event_type',
      'id_from',
      'dedupe_window_s',
      'rate_limit_per_s',
      'max_body_bytes',
      'schema',
      'verification',
    ]),
    optionalOf<T.SourceUpdate>()([
      'name',
      'active',
      'tolerance_s',
      'event_type',
      'id_from',
      'dedupe_window_s',
      'rate_limit_per_s',
      'max_body_bytes',
      'schema',
      'verification',
    ]),
    'patch',
    '/v1/tenants/{tenant}/sources/{id}',
  ],
  [
    'SourceRotateUrl',
    fieldsOf<T.SourceRotateUrl>()(['grace_period_s']),
    optionalOf<T.SourceRotateUrl>()(['grace_period_s']),
    'post',
    '/v1/tenants/{tenant}/sources/{id}/rotate-url',
  ],
  [
    'SourceSecretRotate',
    fieldsOf<T.SourceSecretRotate>()(['secret', 'grace_period_s']),
    optionalOf<T.SourceSecretRotate>()(['secret', 'grace_period_s']),
    'post',
    '/v1/tenants/{tenant}/sources/{id}/secret/rotate',
  ],
  [
    'PortalLinkCreate',
    fieldsOf<T.PortalLinkCreate>()(['expires_in_s', 'role']),
    optionalOf<T.PortalLinkCreate>()(['expires_in_s', 'role']),
    'post',
    '/v1/tenants/{tenant}/portal-links',
  ],
  [
    'ListenerRegister',
    fieldsOf<T.ListenerRegister>()(['forward_to', 'events', 'id']),
    optionalOf<T.ListenerRegister>()(['events', 'id']),
    'post',
    '/v1/tenants/{tenant}/listeners',
  ],
  [
    'ListenerResult',
    fieldsOf<T.ListenerResult>()([
      'request_id',
      'status',
      'body',
      'duration_ms',
      'error',
      'error_class',
      'retry_after',
    ]),
    optionalOf<T.ListenerResult>()(['body', 'error', 'error_class', 'retry_after']),
    'post',
    '/v1/tenants/{tenant}/listeners/{id}/results',
  ],
];

/**
 * `data` is `unknown` in the SDK (any JSON); zod's `unknown` is optional in JSON Schema too, so
 * it is the one field whose optionality is not compared.
 */
const ANY_JSON = new Set(['data']);

describe('SDK wire types vs /openapi.json schemas', () => {
  it.each(RESPONSES)(
    '%s has exactly the schema’s fields, the same ones required',
    (_n, fields, optional, get) => {
      const schema = get();
      expect(Object.keys(schema.properties ?? {}).sort()).toEqual([...fields].sort());
      const required = (schema.required ?? []).filter((f) => !ANY_JSON.has(f)).sort();
      expect(required).toEqual(fields.filter((f) => !optional.includes(f) && !ANY_JSON.has(f)).sort());
    },
  );

  it.each(REQUESTS)(
    '%s has exactly the request body’s fields, the same ones required',
    (_n, fields, optional, method, template) => {
      const op = doc.paths[template]?.[method];
      expect(op, `${method} ${template}`).toBeDefined();
      const schema = requestSchema(op!);
      expect(Object.keys(schema!.properties ?? {}).sort()).toEqual([...fields].sort());
      const required = (schema!.required ?? []).filter((f) => !ANY_JSON.has(f)).sort();
      expect(required).toEqual(fields.filter((f) => !optional.includes(f) && !ANY_JSON.has(f)).sort());
    },
  );
});
