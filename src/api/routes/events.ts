import { HooklaneError } from '../../domain/errors.js';
import type { Json } from '../../domain/types.js';
import { buildEvent } from '../../ingest/events.js';
import type { Api, ApiContext } from '../context.js';
import { decodeCursor, pageResponse } from '../pagination.js';
import { sendSerialized } from '../reply.js';
import { pageOf, problemResponses, TenantParams } from '../schemas/common.js';
import {
  acceptedBody,
  EventAcceptedSchema,
  EventCreateBody,
  EventListQuery,
  EventParams,
  EventSchema,
  IdempotencyKeyHeader,
  presentEvent,
} from '../schemas/events.js';

const tags = ['events'];

export function registerEventRoutes(app: Api, ctx: ApiContext): void {
  app.post(
    '/v1/tenants/:tenant/events',
    {
      config: { access: 'tenant:write' },
      schema: {
        tags,
        summary: 'Send an event: stored with one delivery per matching webhook before the 202',
        description:
          'Idempotent: the same `id`, or the same `Idempotency-Key` header, returns 200 with the original event and sends nothing again.',
        params: TenantParams,
        headers: IdempotencyKeyHeader,
        body: EventCreateBody,
        response: { 200: EventAcceptedSchema, 202: EventAcceptedSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const event = buildEvent(
        {
          tenantId: request.params.tenant,
          id: request.body.id,
          type: request.body.type,
          data: request.body.data as Json,
          idempotencyKey: request.headers['idempotency-key'] ?? null,
        },
        ctx.clock.now(),
      );
      const result = await ctx.ingestor.ingest({ event });
      // The body is the stored envelope plus the count, so `data` is not serialised twice.
      return sendSerialized(
        reply,
        result.duplicate ? 200 : 202,
        acceptedBody(result.event, result.deliveries),
      );
    },
  );

  app.get(
    '/v1/tenants/:tenant/events',
    {
      config: { access: 'tenant:read' },
      schema: {
        tags,
        summary: 'List events, newest first',
        params: TenantParams,
        querystring: EventListQuery,
        response: { 200: pageOf(EventSchema), ...problemResponses },
      },
    },
    async (request) => {
      const q = request.query;
      const page = await ctx.store.events.list(
        request.params.tenant,
        { type: q.type, since: q.since, until: q.until, source_id: q.source_id },
        { limit: q.limit, before: decodeCursor(q.cursor) },
      );
      return pageResponse(page, presentEvent);
    },
  );

  app.get(
    '/v1/tenants/:tenant/events/:id',
    {
      config: { access: 'tenant:read' },
      schema: {
        tags,
        summary: 'Get an event',
        params: EventParams,
        response: { 200: EventSchema, ...problemResponses },
      },
    },
    async (request) => {
      const event = await ctx.store.events.get(request.params.tenant, request.params.id);
      if (event === null) throw new HooklaneError('not_found', 'event not found');
      return presentEvent(event);
    },
  );
}
