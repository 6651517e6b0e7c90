import { z } from 'zod';
import { HooklaneError } from '../../domain/errors.js';
import type { Api, ApiContext } from '../context.js';
import { sendSerialized } from '../reply.js';
import { ProblemSchema, problemResponses } from '../schemas/common.js';

export function registerPlatformRoutes(app: Api, ctx: ApiContext): void {
  app.get(
    '/health',
    {
      config: { access: 'public' },
      schema: {
        tags: ['platform'],
        summary: 'Liveness and database reachability',
        security: [],
        response: {
          200: z.object({ status: z.literal('ok') }),
          503: {
            description: 'The database cannot be reached',
            content: { 'application/problem+json': { schema: ProblemSchema } },
          },
        },
      },
    },
    async () => {
      try {
        await ctx.store.ping();
      } catch (e) {
        throw new HooklaneError('unavailable', 'the database cannot be reached', {
          cause: e,
          retryAfterS: 5,
        });
      }
      return { status: 'ok' as const };
    },
  );

  app.get(
    '/metrics',
    {
      config: { access: 'platform' },
      schema: {
        tags: ['platform'],
        summary: 'Prometheus metrics of this process',
        produces: ['text/plain'],
        response: { 200: z.string().describe('Prometheus text exposition format'), ...problemResponses },
      },
    },
    async (_request, reply) => {
      const text = await ctx.metrics.registry.metrics();
      return reply.type(ctx.metrics.registry.contentType).send(text);
    },
  );

  let document: string | null = null;
  app.get(
    '/openapi.json',
    {
      config: { access: 'public' },
      schema: {
        tags: ['platform'],
        summary: 'This API as an OpenAPI 3.1 document',
        security: [],
        response: { 200: z.record(z.string(), z.unknown()).describe('OpenAPI 3.1 document') },
      },
    },
    async (_request, reply) => {
      // Generated once: the routes cannot change after the app is ready.
      document ??= JSON.stringify(app.swagger());
      return sendSerialized(reply, 200, document);
    },
  );
}
