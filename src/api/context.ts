import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { Clock } from '../domain/clock.js';
import type { EventIngestor } from '../ingest/events.js';
import type { ListenerHub } from '../listen/hub.js';
import type { Metrics } from '../metrics/index.js';
import type { Store } from '../store/types.js';
import type { TenantDirectory } from './access.js';
import type { KeyResolver } from './auth.js';

/** the egress guard's signature (src/delivery/egress.ts); injected so the API does not depend on delivery/ */
export type WebhookUrlValidator = (
  url: string,
  opts: { allowPrivateNetworks: boolean; requireHttps: boolean },
) => Promise<void>;

export interface ApiDeps {
  store: Store;
  config: Config;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  ingestor: EventIngestor;
  validateWebhookUrl: WebhookUrlValidator;
  /** `hooklane listen` streams; absent in processes that cannot serve them (listen routes answer 503) */
  listeners?: ListenerHub;
}

/** what route modules get: the deps plus the API's own caches */
export interface ApiContext extends ApiDeps {
  keys: KeyResolver;
  tenants: TenantDirectory;
}

/** the Fastify instance with zod schemas as its type provider */
export type Api = FastifyInstance<
  Server,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;
