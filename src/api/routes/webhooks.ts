import { z } from 'zod';
import { HooklaneError } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import type { Webhook } from '../../domain/types.js';
import { generateSecret } from '../../signing/standard-webhooks.js';
import type { Api, ApiContext } from '../context.js';
import { decodeCursor, pageResponse } from '../pagination.js';
import { pageOf, PageQuery, problemResponses, TenantParams } from '../schemas/common.js';
import {
  presentWebhook,
  WebhookCreateBody,
  WebhookCreatedSchema,
  WebhookParams,
  WebhookPatchBody,
  WebhookReplaceBody,
  WebhookSchema,
} from '../schemas/webhooks.js';
import { applyWebhookInput, checkWebhookUrl, webhookDefaults } from '../webhook-input.js';

const tags = ['webhooks'];

export async function mustGetWebhook(ctx: ApiContext, tenantId: string, id: string): Promise<Webhook> {
  const webhook = await ctx.store.webhooks.get(tenantId, id);
  if (webhook === null) throw new HooklaneError('not_found', 'webhook not found');
  return webhook;
}

async function saveWebhook(ctx: ApiContext, webhook: Webhook): Promise<Webhook> {
  const saved = await ctx.store.webhooks.update(webhook);
  if (saved === null) throw new HooklaneError('not_found', 'webhook not found');
  return saved;
}

export function registerWebhookRoutes(app: Api, ctx: ApiContext): void {
  app.post(
    '/v1/tenants/:tenant/webhooks',
    {
      config: { access: 'tenant:write' },
      schema: {
        tags,
        summary: 'Create a webhook (the response carries its signing secret)',
        params: TenantParams,
        body: WebhookCreateBody,
        response: { 201: WebhookCreatedSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const { body } = request;
      await checkWebhookUrl(ctx, body.url);
      const now = ctx.clock.now();
      const secret = body.secret ?? generateSecret();
      const base = webhookDefaults({
        id: newId('webhook', now),
        tenant_id: request.params.tenant,
        url: body.url,
        secrets: [{ secret, expires_at: null }],
        now,
      });
      const webhook = applyWebhookInput(base, body, now);
      await ctx.store.webhooks.create(webhook);
      return reply.code(201).send({ ...presentWebhook(webhook), secret });
    },
  );

  app.get(
    '/v1/tenants/:tenant/webhooks',
    {
      config: { access: 'tenant:read' },
      schema: {
        tags,
        summary: 'List webhooks, newest first',
        params: TenantParams,
        querystring: PageQuery,
        response: { 200: pageOf(WebhookSchema), ...problemResponses },
      },
    },
    async (request) => {
      const page = await ctx.store.webhooks.list(request.params.tenant, {
        limit: request.query.limit,
        before: decodeCursor(request.query.cursor),
      });
      return pageResponse(page, presentWebhook);
    },
  );

  app.get(
    '/v1/tenants/:tenant/webhooks/:id',
    {
      config: { access: 'tenant:read' },
      schema: {
        tags,
        summary: 'Get a webhook',
        params: WebhookParams,
        response: { 200: WebhookSchema, ...problemResponses },
      },
    },
    async (request) => presentWebhook(await mustGetWebhook(ctx, request.params.tenant, request.params.id)),
  );

  app.put(
    '/v1/tenants/:tenant/webhooks/:id',
    {
      config: { access: 'tenant:write' },
      schema: {
        tags,
        summary: 'Replace a webhook: omitted fields return to their defaults (secrets are kept)',
        params: WebhookParams,
        body: WebhookReplaceBody,
        response: { 200: WebhookSchema, ...problemResponses },
      },
    },
    async (request) => {
      const existing = await mustGetWebhook(ctx, request.params.tenant, request.params.id);
      if (request.body.url !== existing.url) await checkWebhookUrl(ctx, request.body.url);
      const now = ctx.clock.now();
      const base = webhookDefaults({
        id: existing.id,
        tenant_id: existing.tenant_id,
        url: request.body.url,
        secrets: existing.secrets,
        now: existing.created_at,
      });
      base.listener_id = existing.listener_id;
      return presentWebhook(await saveWebhook(ctx, applyWebhookInput(base, request.body, now)));
    },
  );

  app.patch(
    '/v1/tenants/:tenant/webhooks/:id',
    {
      config: { access: 'tenant:write' },
      schema: {
        tags,
        summary: 'Change some fields of a webhook',
        params: WebhookParams,
        body: WebhookPatchBody,
        response: { 200: WebhookSchema, ...problemResponses },
      },
    },
    async (request) => {
      const existing = await mustGetWebhook(ctx, request.params.tenant, request.params.id);
      const url = request.body.url;
      if (url !== undefined && url !== existing.url) await checkWebhookUrl(ctx, url);
      return presentWebhook(
        await saveWebhook(ctx, applyWebhookInput(existing, request.body, ctx.clock.now())),
      );
    },
  );

  app.delete(
    '/v1/tenants/:tenant/webhooks/:id',
    {
      config: { access: 'tenant:write' },
      schema: {
        tags,
        summary: 'Delete a webhook; its pending deliveries are cancelled',
        params: WebhookParams,
        response: { 204: z.undefined(), ...problemResponses },
      },
    },
    async (request, reply) => {
      const deleted = await ctx.store.webhooks.delete(
        request.params.tenant,
        request.params.id,
        ctx.clock.now(),
      );
      if (!deleted) throw new HooklaneError('not_found', 'webhook not found');
      return reply.code(204).send();
    },
  );
}
