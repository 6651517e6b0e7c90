import { z } from 'zod';
import { HooklaneError } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import type { JsonObject, Tenant } from '../../domain/types.js';
import type { Api, ApiContext } from '../context.js';
import { decodeCursor, pageResponse } from '../pagination.js';
import { pageOf, PageQuery, problemResponses, TenantParams } from '../schemas/common.js';
import { presentTenant, TenantCreateBody, TenantPatchBody, TenantSchema } from '../schemas/tenants.js';

const tags = ['tenants'];

export function registerTenantRoutes(app: Api, ctx: ApiContext): void {
  app.post(
    '/v1/tenants',
    {
      config: { access: 'platform' },
      schema: {
        tags,
        summary: 'Create a tenant (409 when the id exists)',
        body: TenantCreateBody,
        response: { 201: TenantSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const now = ctx.clock.now();
      const tenant: Tenant = {
        id: request.body.id ?? newId('tenant', now),
        name: request.body.name,
        metadata: (request.body.metadata ?? {}) as JsonObject,
        created_at: now,
        updated_at: now,
      };
      await ctx.store.tenants.create(tenant);
      return reply.code(201).send(presentTenant(tenant));
    },
  );

  app.get(
    '/v1/tenants',
    {
      config: { access: 'platform' },
      schema: {
        tags,
        summary: 'List tenants, newest first',
        querystring: PageQuery,
        response: { 200: pageOf(TenantSchema), ...problemResponses },
      },
    },
    async (request) => {
      const page = await ctx.store.tenants.list({
        limit: request.query.limit,
        before: decodeCursor(request.query.cursor),
      });
      return pageResponse(page, presentTenant);
    },
  );

  app.get(
    '/v1/tenants/:tenant',
    {
      config: { access: 'platform' },
      schema: {
        tags,
        summary: 'Get a tenant',
        params: TenantParams,
        response: { 200: TenantSchema, ...problemResponses },
      },
    },
    async (request) => presentTenant(await mustGet(ctx, request.params.tenant)),
  );

  app.patch(
    '/v1/tenants/:tenant',
    {
      config: { access: 'platform' },
      schema: {
        tags,
        summary: 'Change a tenant’s name or metadata',
        params: TenantParams,
        body: TenantPatchBody,
        response: { 200: TenantSchema, ...problemResponses },
      },
    },
    async (request) => {
      const patch: { name?: string; metadata?: JsonObject } = {};
      if (request.body.name !== undefined) patch.name = request.body.name;
      if (request.body.metadata !== undefined) patch.metadata = request.body.metadata as JsonObject;
      const updated = await ctx.store.tenants.update(request.params.tenant, patch, ctx.clock.now());
      if (updated === null) throw new HooklaneError('not_found', 'tenant not found');
      return presentTenant(updated);
    },
  );

  app.delete(
    '/v1/tenants/:tenant',
    {
      config: { access: 'platform' },
      schema: {
        tags,
        summary: 'Delete a tenant and everything it owns',
        params: TenantParams,
        response: { 204: z.undefined(), ...problemResponses },
      },
    },
    async (request, reply) => {
      const tenantId = request.params.tenant;
      if (!(await ctx.store.tenants.delete(tenantId)))
        throw new HooklaneError('not_found', 'tenant not found');
      ctx.tenants.forget(tenantId);
      ctx.keys.forgetTenant(tenantId);
      return reply.code(204).send();
    },
  );
}

async function mustGet(ctx: ApiContext, id: string): Promise<Tenant> {
  const tenant = await ctx.store.tenants.get(id);
  if (tenant === null) throw new HooklaneError('not_found', 'tenant not found');
  return tenant;
}
