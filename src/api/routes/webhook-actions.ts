/** Webhook verbs beyond CRUD: read and rotate the signing secret, send a test event, recover failures. */
import { HooklaneError } from '../../domain/errors.js';
import { generateSecret } from '../../signing/standard-webhooks.js';
import type { Json, WebhookSecret } from '../../domain/types.js';
import { buildEvent } from '../../ingest/events.js';
import type { Api, ApiContext } from '../context.js';
import { sendSerialized } from '../reply.js';
import { problemResponses } from '../schemas/common.js';
import { acceptedBody, EventAcceptedSchema } from '../schemas/events.js';
import {
  RecoverBody,
  RecoverResultSchema,
  RotateSecretBody,
  SecretSchema,
  TestEventBody,
  WebhookParams,
} from '../schemas/webhooks.js';
import { liveSecrets } from '../webhook-input.js';
import { mustGetWebhook } from './webhooks.js';

const tags = ['webhooks'];
/** the current secret plus at most this many rotated-out ones still signing */
const MAX_OLD_SECRETS = 4;

function currentSecret(secrets: WebhookSecret[]): string {
  const current = secrets.find((s) => s.expires_at === null) ?? secrets[0];
  if (current === undefined) throw new HooklaneError('internal', 'webhook has no secret');
  return current.secret;
}

export function registerWebhookActionRoutes(app: Api, ctx: ApiContext): void {
  app.get(
    '/v1/tenants/:tenant/webhooks/:id/secret',
    {
      // A signing secret is a credential (it lets its holder forge deliveries), not data to browse:
      // viewers see webhooks but not their secrets.
      config: { access: 'tenant:write' },
      schema: {
        tags,
        summary: 'The current signing secret (editor or admin)',
        params: WebhookParams,
        response: { 200: SecretSchema, ...problemResponses },
      },
    },
    async (request) => {
      const webhook = await mustGetWebhook(ctx, request.params.tenant, request.params.id);
      return { secret: currentSecret(webhook.secrets) };
    },
  );

  app.post(
    '/v1/tenants/:tenant/webhooks/:id/secret/rotate',
    {
      config: { access: 'tenant:write' },
      schema: {
        tags,
        summary: 'Make a new secret current; the old one keeps signing for grace_period_s',
        params: WebhookParams,
        body: RotateSecretBody,
        response: { 200: SecretSchema, ...problemResponses },
      },
    },
    async (request) => {
      const webhook = await mustGetWebhook(ctx, request.params.tenant, request.params.id);
      const now = ctx.clock.now();
      const secret = request.body.secret ?? generateSecret();
      const live = liveSecrets(webhook.secrets, now);
      if (live.some((s) => s.secret === secret)) {
        throw new HooklaneError('validation_failed', 'the new secret must differ from the secrets in use', {
          errors: [{ path: 'secret', message: 'is already in use' }],
        });
      }
      const graceUntil = now + request.body.grace_period_s * 1000;
      const previous = live
        .map((s) => (s.expires_at === null ? { secret: s.secret, expires_at: graceUntil } : s))
        .filter((s) => s.expires_at !== null && s.expires_at > now)
        .slice(0, MAX_OLD_SECRETS);
      const saved = await ctx.store.webhooks.update({
        ...webhook,
        secrets: [{ secret, expires_at: null }, ...previous],
        updated_at: now,
      });
      if (saved === null) throw new HooklaneError('not_found', 'webhook not found');
      return { secret };
    },
  );

  app.post(
    '/v1/tenants/:tenant/webhooks/:id/test',
    {
      config: { access: 'tenant:write' },
      schema: {
        tags,
        summary: 'Send a test event to this webhook only',
        params: WebhookParams,
        body: TestEventBody,
        response: { 202: EventAcceptedSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const webhook = await mustGetWebhook(ctx, request.params.tenant, request.params.id);
      const data = (request.body.data ?? { webhook_id: webhook.id }) as Json;
      const event = buildEvent(
        { tenantId: webhook.tenant_id, type: request.body.type, data },
        ctx.clock.now(),
      );
      const result = await ctx.ingestor.ingest({ event, onlyWebhookId: webhook.id });
      return sendSerialized(reply, 202, acceptedBody(result.event, result.deliveries));
    },
  );

  app.post(
    '/v1/tenants/:tenant/webhooks/:id/recover',
    {
      config: { access: 'tenant:write' },
      schema: {
        tags,
        summary: 'Send again the failed deliveries created in [since, until)',
        params: WebhookParams,
        body: RecoverBody,
        response: { 202: RecoverResultSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const webhook = await mustGetWebhook(ctx, request.params.tenant, request.params.id);
      const now = ctx.clock.now();
      const until = request.body.until ?? now;
      if (until <= request.body.since) {
        throw new HooklaneError('validation_failed', 'since must be before until (default: now)', {
          errors: [{ path: 'since', message: 'must be before until' }],
        });
      }
      const n = await ctx.store.deliveries.recover(
        webhook.tenant_id,
        webhook.id,
        request.body.since,
        until,
        now,
      );
      return reply.code(202).send({ deliveries: n });
    },
  );
}
