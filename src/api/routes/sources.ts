/** Inbound sources: CRUD, URL rotation and the request log (docs/inbound.md). */
import { z } from 'zod';
import { HooklaneError } from '../../domain/errors.js';
import { newId, newToken } from '../../domain/ids.js';
import type { JsonObject, Source } from '../../domain/types.js';
import { hashToken, secretOf, type InboundGateway } from '../../inbound/index.js';
import type { Api, ApiContext } from '../context.js';
import { decodeCursor, pageResponse } from '../pagination.js';
import { pageOf, PageQuery, problemResponses, TenantParams } from '../schemas/common.js';
import {
  completeVerification,
  presentSource,
  presentSourceRequest,
  presentVerification,
  rotateSourceSecret,
  RotateSourceSecretBody,
  RotateUrlBody,
  SOURCE_LIMITS,
  SourceCreateBody,
  SourceCreatedSchema,
  SourceParams,
  SourcePatchBody,
  SourceRequestSchema,
  SourceSchema,
  VerificationSchema,
  type SourceWritable,
} from '../schemas/sources.js';

const tags = ['sources'];

async function mustGetSource(ctx: ApiContext, tenantId: string, id: string): Promise<Source> {
  const source = await ctx.store.sources.get(tenantId, id);
  if (source === null) throw new HooklaneError('not_found', 'source not found');
  return source;
}

/** `next` with the fields of a create or PATCH body applied (verification replaced whole) */
function applySourceInput(next: Source, input: SourceWritable, gateway: InboundGateway, now: number): Source {
  const out: Source = { ...next, updated_at: now };
  if (input.name !== undefined) out.name = input.name;
  if (input.active !== undefined) out.active = input.active;
  if (input.verification !== undefined) {
    out.verification = completeVerification(input.verification, next.verification);
    // a secret changed by PATCH replaces the old one at once (secret/rotate gives a grace period)
    if (secretOf(out.verification) !== secretOf(next.verification)) out.previous_secrets = [];
  }
  if (input.tolerance_s !== undefined) out.tolerance_s = input.tolerance_s;
  if (input.event_type !== undefined) out.event_type = input.event_type;
  if (input.id_from !== undefined) out.id_from = input.id_from;
  if (input.dedupe_window_s !== undefined) out.dedupe_window_s = input.dedupe_window_s;
  if (input.rate_limit_per_s !== undefined) out.rate_limit_per_s = input.rate_limit_per_s;
  if (input.max_body_bytes !== undefined) out.max_body_bytes = input.max_body_bytes;
  if (input.schema !== undefined) {
    const schema = input.schema as JsonObject | null;
    if (schema !== null) gateway.schemas.assertValid(schema);
    out.schema = schema;
  }
  return out;
}

export function registerSourceRoutes(app: Api, ctx: ApiContext, gateway: InboundGateway): void {
  const present = (s: Source) => presentSource(s, ctx.config.publicUrl);

  app.post(
    '/v1/tenants/:tenant/sources',
    {
      config: { access: 'tenant:write' },
      schema: {
        tags,
        summary: 'Create a source: a public URL that receives, verifies and routes a provider’s webhooks',
        params: TenantParams,
        body: SourceCreateBody,
        response: { 201: SourceCreatedSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const now = ctx.clock.now();
      const token = newToken();
      const base: Source = {
        id: newId('source', now),
        tenant_id: request.params.tenant,
        name: request.body.name,
        token,
        active: true,
        verification: { type: 'none' },
        previous_secrets: [],
        tolerance_s: SOURCE_LIMITS.tolerance_s.default,
        event_type: null,
        id_from: null,
        dedupe_window_s: SOURCE_LIMITS.dedupe_window_s.default,
        rate_limit_per_s: null,
        max_body_bytes: SOURCE_LIMITS.max_body_bytes.default,
        schema: null,
        created_at: now,
        updated_at: now,
      };
      const source = applySourceInput(base, request.body, gateway, now);
      await ctx.store.sources.create(source, hashToken(token));
      return reply.code(201).send({ ...present(source), verification: { ...source.verification } });
    },
  );

  app.get(
    '/v1/tenants/:tenant/sources',
    {
      config: { access: 'tenant:read' },
      schema: {
        tags,
        summary: 'List sources, newest first',
        params: TenantParams,
        querystring: PageQuery,
        response: { 200: pageOf(SourceSchema), ...problemResponses },
      },
    },
    async (request) => {
      const page = await ctx.store.sources.list(request.params.tenant, {
        limit: request.query.limit,
        before: decodeCursor(request.query.cursor),
      });
      return pageResponse(page, present);
    },
  );

  app.get(
    '/v1/tenants/:tenant/sources/:id',
    {
      config: { access: 'tenant:read' },
      schema: {
        tags,
        summary: 'Get a source',
        params: SourceParams,
        response: { 200: SourceSchema, ...problemResponses },
      },
    },
    async (request) => present(await mustGetSource(ctx, request.params.tenant, request.params.id)),
  );

  app.patch(
    '/v1/tenants/:tenant/sources/:id',
    {
      config: { access: 'tenant:write' },
      schema: {
        tags,
        summary: 'Change some fields of a source (a new verification replaces the old one whole)',
        params: SourceParams,
        body: SourcePatchBody,
        response: { 200: SourceSchema, ...problemResponses },
      },
    },
    async (request) => {
      const existing = await mustGetSource(ctx, request.params.tenant, request.params.id);
      const saved = await ctx.store.sources.update(
        applySourceInput(existing, request.body, gateway, ctx.clock.now()),
      );
      if (saved === null) throw new HooklaneError('not_found', 'source not found');
      gateway.forget(saved);
      return present(saved);
    },
  );

  app.delete(
    '/v1/tenants/:tenant/sources/:id',
    {
      config: { access: 'tenant:write' },
      schema: {
        tags,
        summary: 'Delete a source: its URL stops at once; its events stay',
        params: SourceParams,
        response: { 204: z.undefined(), ...problemResponses },
      },
    },
    async (request, reply) => {
      const { tenant, id } = request.params;
      if (!(await ctx.store.sources.delete(tenant, id)))
        throw new HooklaneError('not_found', 'source not found');
      gateway.forget({ tenant_id: tenant, id });
      return reply.code(204).send();
    },
  );

  app.get(
    '/v1/tenants/:tenant/sources/:id/verification',
    {
      config: { access: 'tenant:write' },
      schema: {
        tags,
        summary: 'Read a source’s verification with its secrets',
        params: SourceParams,
        response: { 200: VerificationSchema, ...problemResponses },
      },
    },
    async (request) => {
      return presentVerification(await mustGetSource(ctx, request.params.tenant, request.params.id));
    },
  );

  app.post(
    '/v1/tenants/:tenant/sources/:id/secret/rotate',
    {
      config: { access: 'tenant:write' },
      schema: {
        tags,
        summary: 'Replace a source’s verification secret; the old one keeps verifying for grace_period_s',
        params: SourceParams,
        body: RotateSourceSecretBody,
        response: { 200: VerificationSchema, ...problemResponses },
      },
    },
    async (request) => {
      const source = await mustGetSource(ctx, request.params.tenant, request.params.id);
      const now = ctx.clock.now();
      const rotated = rotateSourceSecret(source, request.body, now);
      const saved = await ctx.store.sources.update(rotated);
      if (saved === null) throw new HooklaneError('not_found', 'source not found');
      gateway.forget(saved);
      return presentVerification(saved);
    },
  );

  app.post(
    '/v1/tenants/:tenant/sources/:id/rotate-url',
    {
      config: { access: 'tenant:write' },
      schema: {
        tags,
        summary: 'Give a source a new URL; the old one stops at once or after grace_period_s',
        params: SourceParams,
        body: RotateUrlBody,
        response: { 200: SourceSchema, ...problemResponses },
      },
    },
    async (request) => {
      const now = ctx.clock.now();
      const token = newToken();
      const rotated = await ctx.store.sources.rotateToken(
        request.params.tenant,
        request.params.id,
        token,
        hashToken(token),
        now + request.body.grace_period_s * 1000,
        now,
      );
      if (rotated === null) throw new HooklaneError('not_found', 'source not found');
      gateway.forget(rotated);
      return present(rotated);
    },
  );

  app.get(
    '/v1/tenants/:tenant/sources/:id/requests',
    {
      config: { access: 'tenant:read' },
      schema: {
        tags,
        summary: 'Every request the source received, rejected ones too, newest first',
        params: SourceParams,
        querystring: PageQuery,
        response: { 200: pageOf(SourceRequestSchema), ...problemResponses },
      },
    },
    async (request) => {
      const { tenant, id } = request.params;
      await mustGetSource(ctx, tenant, id);
      // entries still queued in this process are written first, so a client sees its own requests
      await gateway.flush();
      const page = await ctx.store.sources.requests(tenant, id, {
        limit: request.query.limit,
        before: decodeCursor(request.query.cursor),
      });
      return pageResponse(page, presentSourceRequest);
    },
  );
}
