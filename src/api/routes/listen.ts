/**
 * `hooklane listen`, server side: register a listener (an ephemeral webhook with `listener_id`),
 * stream its deliveries to the CLI (Server-Sent Events, so the CLI dials out and works behind
 * NAT), take the local app's answers back, and remove it.
 *
 * The listener's signing secret is derived, not stored at random: HMAC-SHA256 keyed by the stored
 * hash of the caller's api key, over the tenant id. The same developer (api key) and tenant get
 * the same secret on every `hooklane listen`, so a local app configured once keeps verifying.
 * Nothing about the key can be learned from the secret (HMAC), and revoking the key changes it.
 */
import { createHash, createHmac } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { FILTER_PATTERN } from '../../domain/event-filter.js';
import { HooklaneError } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import type { Webhook } from '../../domain/types.js';
import { sseFrame, type ListenerHub } from '../../listen/hub.js';
import type { Api, ApiContext } from '../context.js';
import { problemResponses } from '../schemas/common.js';
import { webhookDefaults } from '../webhook-input.js';

const tags = ['listen'];

const LISTENER_ID = /^lsn_[0-9A-Z]{26}$/;
/** the excerpt of the local answer kept in the attempt, as for HTTP receivers */
const BODY_EXCERPT = 4096;

const ListenerParams = z.object({
  tenant: z.string().max(64),
  id: z.string().regex(LISTENER_ID, 'must be a listener id (lsn_…)'),
});

const ForwardTo = z
  .string()
  .trim()
  .max(2048)
  .refine((s) => {
    try {
      const u = new URL(s);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an absolute http(s) URL')
  .describe('the local URL the CLI forwards to (shown in the webhook list; the server never calls it)');

const ListenerRegisterBody = z.strictObject({
  forward_to: ForwardTo,
  events: z
    .array(z.string().max(258).regex(FILTER_PATTERN, 'must be "*", an event type, or a prefix like "user.*"'))
    .min(1)
    .max(256)
    .optional()
    .describe('event filter, default ["*"]'),
  id: z
    .string()
    .regex(LISTENER_ID, 'must be a listener id (lsn_…)')
    .optional()
    .describe('re-register this listener (after a reconnect) if it still exists'),
});

const ListenerSchema = z.object({
  id: z.string().describe('the listener id (lsn_…)'),
  webhook_id: z.string().describe('the ephemeral webhook that takes part in fan-out'),
  tenant_id: z.string(),
  forward_to: z.string(),
  events: z.array(z.string()),
  secret: z.string().describe('verify deliveries with this; stable for this api key and tenant'),
  grace_period_ms: z.number().int().describe('the listener is removed this long after its CLI went away'),
});

const ListenerResultBody = z.strictObject({
  request_id: z.string().max(64),
  status: z.number().int().min(100).max(599).nullable(),
  body: z.string().nullable().optional(),
  duration_ms: z.number().int().min(0).max(3_600_000),
  error: z.string().max(2000).nullable().optional(),
  error_class: z.enum(['connect', 'timeout', 'other']).nullable().optional(),
  retry_after: z.string().max(64).nullable().optional(),
});

/** hex SHA-256 of the bearer key, i.e. the api key's stored hash (auth.ts already checked the key) */
function callerKeyHash(request: FastifyRequest): string {
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  if (m === null) throw new HooklaneError('unauthorized');
  return createHash('sha256').update(m[1]!, 'utf8').digest('hex');
}

export function listenerSecret(keyHash: string, tenantId: string): string {
  const mac = createHmac('sha256', Buffer.from(keyHash, 'hex'))
    .update(`hooklane listen\0${tenantId}`)
    .digest();
  return `whsec_${mac.toString('base64')}`;
}

function webhookIdOf(listenerId: string): string {
  return `wh_${listenerId.slice('lsn_'.length)}`;
}

function hubOf(ctx: ApiContext): ListenerHub {
  if (ctx.listeners === undefined)
    throw new HooklaneError('unavailable', 'hooklane listen is not available in this process');
  return ctx.listeners;
}

async function listenerWebhook(ctx: ApiContext, tenantId: string, listenerId: string): Promise<Webhook> {
  const webhook = await ctx.store.webhooks.get(tenantId, webhookIdOf(listenerId));
  if (webhook === null || webhook.listener_id !== listenerId)
    throw new HooklaneError(
      'not_found',
      'listener not found (it is removed after its CLI has been gone a while)',
    );
  return webhook;
}

function present(webhook: Webhook, listenerId: string, hub: ListenerHub) {
  return {
    id: listenerId,
    webhook_id: webhook.id,
    tenant_id: webhook.tenant_id,
    forward_to: webhook.url,
    events: webhook.events,
    secret: webhook.secrets[0]!.secret,
    grace_period_ms: hub.graceMs,
  };
}

export function registerListenRoutes(app: Api, ctx: ApiContext): void {
  // Open streams would keep app.close() waiting forever: end them first.
  app.addHook('preClose', async () => ctx.listeners?.closeAll());

  app.post(
    '/v1/tenants/:tenant/listeners',
    {
      config: { access: 'tenant:write' },
      schema: {
        tags,
        summary: 'Register a `hooklane listen` listener: an ephemeral webhook fed over a stream',
        params: z.object({ tenant: z.string().max(64) }),
        body: ListenerRegisterBody,
        response: { 201: ListenerSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const hub = hubOf(ctx);
      const tenantId = request.params.tenant;
      const { forward_to, id } = request.body;
      const events = request.body.events ?? ['*'];
      const secret = listenerSecret(callerKeyHash(request), tenantId);
      const now = ctx.clock.now();
      const description = `hooklane listen → ${forward_to}`;
      if (id !== undefined) {
        const existing = await ctx.store.webhooks.get(tenantId, webhookIdOf(id));
        if (existing !== null && existing.listener_id === id) {
          const updated = await ctx.store.webhooks.update({
            ...existing,
            url: forward_to,
            events,
            description,
            secrets: [{ secret, expires_at: null }],
            updated_at: now,
          });
          if (updated !== null) {
            hub.registered(id, tenantId, updated.id);
            return reply.code(201).send(present(updated, id, hub));
          }
        }
      }
      const webhookId = newId('webhook', now);
      const listenerId = `lsn_${webhookId.slice('wh_'.length)}`;
      const webhook: Webhook = {
        ...webhookDefaults({
          id: webhookId,
          tenant_id: tenantId,
          url: forward_to,
          secrets: [{ secret, expires_at: null }],
          now,
        }),
        events,
        description,
        listener_id: listenerId,
      };
      await ctx.store.webhooks.create(webhook);
      hub.registered(listenerId, tenantId, webhookId);
      return reply.code(201).send(present(webhook, listenerId, hub));
    },
  );

  app.get(
    '/v1/tenants/:tenant/listeners/:id/stream',
    {
      config: { access: 'tenant:write' },
      schema: {
        tags,
        summary: 'The listener’s deliveries as Server-Sent Events (`ready`, then one `delivery` per attempt)',
        description:
          'Each `delivery` event carries `{request_id, delivery_id, event_id, event_type, attempt, webhook_id, timeout_ms, headers, body_base64}`: ' +
          'the fully signed request. Report the local answer to `…/results`. A comment line every 15 s keeps the stream alive.',
        params: ListenerParams,
        response: {
          200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: z.string() } } },
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      const hub = hubOf(ctx);
      const { tenant, id } = request.params;
      const webhook = await listenerWebhook(ctx, tenant, id);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
        'x-request-id': request.id,
      });
      // frames go out as written (app.inject's fake socket has no setNoDelay)
      if (typeof res.socket?.setNoDelay === 'function') res.socket.setNoDelay(true);
      const detach = hub.attach(id, tenant, webhook.id, {
        write: (chunk) => {
          if (!res.writableEnded) res.write(chunk);
        },
        end: () => {
          if (!res.writableEnded) res.end();
        },
      });
      res.write(sseFrame('ready', { listener_id: id, webhook_id: webhook.id, events: webhook.events }));
      res.once('close', detach);
    },
  );

  app.post(
    '/v1/tenants/:tenant/listeners/:id/results',
    {
      config: { access: 'tenant:write' },
      schema: {
        tags,
        summary: 'Report the local app’s answer to one pushed delivery; it becomes the attempt',
        params: ListenerParams,
        body: ListenerResultBody,
        response: { 204: z.undefined(), ...problemResponses },
      },
    },
    async (request, reply) => {
      const hub = hubOf(ctx);
      const b = request.body;
      const accepted = hub.report(request.params.id, b.request_id, {
        status: b.status,
        body: b.body == null ? null : b.body.slice(0, BODY_EXCERPT),
        duration_ms: b.duration_ms,
        error: b.error ?? null,
        error_class: b.error_class ?? null,
        retry_after: b.retry_after ?? null,
      });
      if (!accepted)
        throw new HooklaneError(
          'not_found',
          'no such request is waiting (it timed out, or another server process sent it)',
        );
      return reply.code(204).send();
    },
  );

  app.delete(
    '/v1/tenants/:tenant/listeners/:id',
    {
      config: { access: 'tenant:write' },
      schema: {
        tags,
        summary: 'Remove a listener now (the CLI does on exit); its pending deliveries are cancelled',
        params: ListenerParams,
        response: { 204: z.undefined(), ...problemResponses },
      },
    },
    async (request, reply) => {
      const hub = hubOf(ctx);
      const { tenant, id } = request.params;
      const webhook = await listenerWebhook(ctx, tenant, id);
      await hub.remove(id, tenant, webhook.id);
      return reply.code(204).send();
    },
  );
}
