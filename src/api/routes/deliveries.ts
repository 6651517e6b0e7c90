import { z } from 'zod';
import { HooklaneError } from '../../domain/errors.js';
import type { Api, ApiContext } from '../context.js';
import { decodeCursor, pageResponse } from '../pagination.js';
import { pageOf, problemResponses, TenantParams } from '../schemas/common.js';
import {
  DeliveryListQuery,
  DeliverySchema,
  DeliveryWithAttemptsSchema,
  presentAttempt,
  presentDelivery,
} from '../schemas/events.js';

const tags = ['deliveries'];
const DeliveryParams = z.object({ tenant: z.string().max(64), id: z.string().max(128) });

export function registerDeliveryRoutes(app: Api, ctx: ApiContext): void {
  app.get(
    '/v1/tenants/:tenant/deliveries',
    {
      config: { access: 'tenant:read' },
      schema: {
        tags,
        summary: 'List deliveries, newest first',
        params: TenantParams,
        querystring: DeliveryListQuery,
        response: { 200: pageOf(DeliverySchema), ...problemResponses },
      },
    },
    async (request) => {
      const q = request.query;
      const page = await ctx.store.deliveries.list(
        request.params.tenant,
        { event_id: q.event_id, webhook_id: q.webhook_id, status: q.status },
        { limit: q.limit, before: decodeCursor(q.cursor) },
      );
      return pageResponse(page, presentDelivery);
    },
  );

  app.get(
    '/v1/tenants/:tenant/deliveries/:id',
    {
      config: { access: 'tenant:read' },
      schema: {
        tags,
        summary: 'Get a delivery with its attempts, oldest first',
        params: DeliveryParams,
        response: { 200: DeliveryWithAttemptsSchema, ...problemResponses },
      },
    },
    async (request) => {
      const { tenant, id } = request.params;
      const delivery = await ctx.store.deliveries.get(tenant, id);
      if (delivery === null) throw new HooklaneError('not_found', 'delivery not found');
      const attempts = await ctx.store.deliveries.attempts(tenant, id);
      return { ...presentDelivery(delivery), attempts: attempts.map(presentAttempt) };
    },
  );

  app.post(
    '/v1/tenants/:tenant/deliveries/:id/retry',
    {
      config: { access: 'tenant:write' },
      schema: {
        tags,
        summary: 'Attempt a delivery again now (409 while it is being delivered)',
        params: DeliveryParams,
        response: { 202: DeliverySchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const delivery = await ctx.store.deliveries.retry(
        request.params.tenant,
        request.params.id,
        ctx.clock.now(),
      );
      if (delivery === null) throw new HooklaneError('not_found', 'delivery not found');
      return reply.code(202).send(presentDelivery(delivery));
    },
  );
}
