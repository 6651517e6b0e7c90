import { z } from 'zod';
import { HooklaneError } from '../../domain/errors.js';
import type { Api, ApiContext } from '../context.js';
import { generateApiKey, newApiKeyRow } from '../auth.js';
import { decodeCursor, pageResponse } from '../pagination.js';
import { pageOf, PageQuery, problemResponses, TenantParams } from '../schemas/common.js';
import { ApiKeyCreateBody, ApiKeyCreatedSchema, ApiKeySchema, presentApiKey } from '../schemas/tenants.js';

const tags = ['api keys'];
const KeyParams = z.object({ tenant: z.string().max(64), id: z.string().max(128) });

export function registerApiKeyRoutes(app: Api, ctx: ApiContext): void {
  app.post(
    '/v1/tenants/:tenant/api-keys',
    {
      config: { access: 'tenant:admin' },
      schema: {
        tags,
        summary: 'Create a tenant api key (the key is shown only in this response)',
        params: TenantParams,
        body: ApiKeyCreateBody,
        response: { 201: ApiKeyCreatedSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const key = generateApiKey();
      const row = newApiKeyRow(
        key,
        { tenant_id: request.params.tenant, role: request.body.role, name: request.body.name ?? '' },
        ctx.clock.now(),
      );
      await ctx.store.apiKeys.create(row);
      return reply.code(201).send({ ...presentApiKey(row), key });
    },
  );

  app.get(
    '/v1/tenants/:tenant/api-keys',
    {
      config: { access: 'tenant:admin' },
      schema: {
        tags,
        summary: 'List a tenant’s api keys (without the keys themselves)',
        params: TenantParams,
        querystring: PageQuery,
        response: { 200: pageOf(ApiKeySchema), ...problemResponses },
      },
    },
    async (request) => {
      const page = await ctx.store.apiKeys.list(request.params.tenant, {
        limit: request.query.limit,
        before: decodeCursor(request.query.cursor),
      });
      return pageResponse(page, presentApiKey);
    },
  );

  app.delete(
    '/v1/tenants/:tenant/api-keys/:id',
    {
      config: { access: 'tenant:admin' },
      schema: {
        tags,
        summary: 'Revoke an api key',
        params: KeyParams,
        response: { 204: z.undefined(), ...problemResponses },
      },
    },
    async (request, reply) => {
      if (!(await ctx.store.apiKeys.delete(request.params.tenant, request.params.id))) {
        throw new HooklaneError('not_found', 'api key not found');
      }
      ctx.keys.forgetKey(request.params.id);
      return reply.code(204).send();
    },
  );
}
