/**
 * The HTTP API (Fastify 5, zod 4 schemas that also generate /openapi.json). buildApi returns the app
 * NOT listening: the composition root (src/server.ts) registers extra plugins and calls listen.
 */
import fastifySwagger from '@fastify/swagger';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import {
  createJsonSchemaTransform,
  createJsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { newId } from '../domain/ids.js';
import { InboundGateway } from '../inbound/index.js';
import { createAccessHook, TenantDirectory } from './access.js';
import { KeyResolver } from './auth.js';
import type { Api, ApiContext, ApiDeps } from './context.js';
import { registerDashboard } from './dashboard.js';
import { installErrorHandling } from './errors.js';
import { registerApiKeyRoutes } from './routes/api-keys.js';
import { registerDeliveryRoutes } from './routes/deliveries.js';
import { registerEventTypeRoutes } from './routes/event-types.js';
import { registerEventRoutes } from './routes/events.js';
import { registerInboundRoutes } from './routes/inbound.js';
import { registerListenRoutes } from './routes/listen.js';
import { registerPlatformRoutes } from './routes/platform.js';
import { registerSourceRoutes } from './routes/sources.js';
import { registerPortalRoutes } from './routes/portal.js';
import { registerStatsRoutes } from './routes/stats.js';
import { registerStreamRoutes } from './routes/stream.js';
import { registerTenantRoutes } from './routes/tenants.js';
import { registerWebhookActionRoutes } from './routes/webhook-actions.js';
import { registerWebhookRoutes } from './routes/webhooks.js';

export type { ApiDeps, WebhookUrlValidator } from './context.js';

/**
 * The secret part of inbound source URLs (`/in/{token}`) never reaches a log line, nor their query
 * string (Meta's handshake carries its verify token there).
 */
export function loggableUrl(url: string): string {
  return url.replace(/^\/in\/[^/?#]+(\?[^#]*)?/, '/in/[redacted]');
}

/**
 * Request logging. Two info lines per request (Fastify's default) cost more than the ingest
 * transaction itself at thousands of requests per second, so finished requests are logged at
 * debug; failures are logged by the error handler (5xx at error level).
 */
class ApiLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const fields = {
      method: request.method,
      url: loggableUrl(request.url),
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 100) / 100,
    };
    if (error) reply.log.error({ ...fields, err: error }, 'request errored');
    else reply.log.debug(fields, 'request completed');
  }
}

export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const logger = deps.logger.child(
    { component: 'api' },
    {
      redact: {
        paths: [
          'authorization',
          'headers.authorization',
          'req.headers.authorization',
          'secret',
          '*.secret',
          'key',
          '*.key',
        ],
        censor: '[redacted]',
      },
    },
  );
  const app: Api = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new ApiLogController(),
    genReqId: () => newId('request'),
    bodyLimit: deps.config.bodyLimitBytes,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 256 },
  }).withTypeProvider<ZodTypeProvider>();

  const ctx: ApiContext = {
    ...deps,
    keys: new KeyResolver(deps.store, deps.clock),
    tenants: new TenantDirectory(deps.store, deps.clock),
  };

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandling(app);
  installJsonParser(app);

  app.decorateRequest('principal', null);
  app.addHook('onRoute', (route) => {
    // Fail closed: an API route that forgot to say who may call it must not start serving.
    if (route.url.startsWith('/v1/') && route.config?.access === undefined) {
      throw new Error(`route ${String(route.method)} ${route.url} declares no config.access`);
    }
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onRequest', createAccessHook(ctx.keys, ctx.tenants));
  // A bodyless POST to a route whose body is all optional fields means "all defaults".
  app.addHook('preValidation', async (request) => {
    if (request.body == null && request.routeOptions.schema?.body !== undefined) request.body = {};
  });
  app.addHook('onResponse', async (request, reply) => {
    deps.metrics.httpRequests.inc({
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status: String(reply.statusCode),
    });
    deps.metrics.httpDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched' },
      reply.elapsedTime / 1000,
    );
  });

  await registerOpenApi(app, deps);

  registerPlatformRoutes(app, ctx);
  registerTenantRoutes(app, ctx);
  registerApiKeyRoutes(app, ctx);
  registerEventTypeRoutes(app, ctx);
  registerWebhookRoutes(app, ctx);
  registerWebhookActionRoutes(app, ctx);
  registerEventRoutes(app, ctx);
  registerDeliveryRoutes(app, ctx);
  registerStatsRoutes(app, ctx);
  registerStreamRoutes(app, ctx);
  registerPortalRoutes(app, ctx);
  // last: its catch-all GET answers whatever the API does not
  registerDashboard(app);
  registerListenRoutes(app, ctx);
  const inbound = new InboundGateway({
    store: deps.store,
    ingestor: deps.ingestor,
    clock: deps.clock,
    logger: logger.child({ component: 'inbound' }),
  });
  registerSourceRoutes(app, ctx, inbound);
  await registerInboundRoutes(app, ctx, inbound);

  return app;
}

/**
 * JSON is the only body type. An empty body with a JSON content type counts as no body (clients
 * often send the header on a bodyless POST); anything else that does not parse is a 400, and
 * `__proto__`/`constructor.prototype` keys are refused rather than stripped.
 */
function installJsonParser(app: Api): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    parseJson(request, text, done);
  });
}

async function registerOpenApi(app: Api, deps: ApiDeps): Promise<void> {
  const transform = createJsonSchemaTransform({});
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'hooklane',
        version: '1',
        description:
          'Self-hosted webhooks: send events to your customers’ endpoints and receive providers’ webhooks. ' +
          'Errors are application/problem+json with a stable `code`. Lists are `{data, next_cursor}`, newest first.',
      },
      servers: [{ url: deps.config.publicUrl }],
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an hooklane api key' } },
      },
      security: [{ bearer: [] }],
    },
    // Only this API's routes: plugins registered later (the dashboard's static files) stay out.
    transform: (doc) =>
      doc.route.config?.access === undefined ? { schema: { hide: true }, url: doc.url } : transform(doc),
    transformObject: createJsonSchemaTransformObject({}),
  });
}
