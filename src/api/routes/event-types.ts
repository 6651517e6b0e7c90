import { z } from 'zod';
import { HooklaneError } from '../../domain/errors.js';
import type { JsonObject } from '../../domain/types.js';
import type { Api, ApiContext } from '../context.js';
import { decodeCursor, pageResponse } from '../pagination.js';
import { pageOf, PageQuery, problemResponses } from '../schemas/common.js';
import {
  EventTypeName,
  EventTypeParams,
  EventTypePutBody,
  EventTypeSchema,
  presentEventType,
} from '../schemas/event-types.js';

const tags = ['event types'];

export function registerEventTypeRoutes(app: Api, ctx: ApiContext): void {
  app.put(
    '/v1/event-types/:name',
    {
      config: { access: 'platform' },
      schema: {
        tags,
        summary: 'Create or replace an event type (201 created, 200 replaced)',
        params: z.object({ name: EventTypeName }),
        body: EventTypePutBody,
        response: { 200: EventTypeSchema, 201: EventTypeSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const schema = (request.body.schema ?? null) as JsonObject | null;
      if (schema !== null) ctx.ingestor.schemas.assertValid(schema);
      const { eventType, created } = await ctx.store.eventTypes.upsert(
        { name: request.params.name, description: request.body.description ?? '', schema },
        ctx.clock.now(),
      );
      ctx.ingestor.schemas.invalidate(eventType.name);
      return reply.code(created ? 201 : 200).send(presentEventType(eventType));
    },
  );

  app.get(
    '/v1/event-types',
    {
      config: { access: 'authenticated' },
      schema: {
        tags,
        summary: 'List event types by name',
        querystring: PageQuery,
        response: { 200: pageOf(EventTypeSchema), ...problemResponses },
      },
    },
    async (request) => {
      const page = await ctx.store.eventTypes.list({
        limit: request.query.limit,
        after: decodeCursor(request.query.cursor),
      });
      return pageResponse(page, presentEventType);
    },
  );

  app.get(
    '/v1/event-types/:name',
    {
      config: { access: 'authenticated' },
      schema: {
        tags,
        summary: 'Get an event type',
        params: EventTypeParams,
        response: { 200: EventTypeSchema, ...problemResponses },
      },
    },
    async (request) => {
      const eventType = await ctx.store.eventTypes.get(request.params.name);
      if (eventType === null) throw new HooklaneError('not_found', 'event type not found');
      return presentEventType(eventType);
    },
  );

  app.delete(
    '/v1/event-types/:name',
    {
      config: { access: 'platform' },
      schema: {
        tags,
        summary: 'Delete an event type (events of that type are still accepted, unvalidated)',
        params: EventTypeParams,
        response: { 204: z.undefined(), ...problemResponses },
      },
    },
    async (request, reply) => {
      const deleted = await ctx.store.eventTypes.delete(request.params.name);
      ctx.ingestor.schemas.invalidate(request.params.name);
      if (!deleted) throw new HooklaneError('not_found', 'event type not found');
      return reply.code(204).send();
    },
  );
}
