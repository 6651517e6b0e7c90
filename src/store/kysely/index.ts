/**
 * The shared CRUD layer: the ordinary, engine-neutral parts of the Store, written once with Kysely
 * and used unchanged by the SQLite and PostgreSQL engines.
 *
 *   const shared = createSharedRepos(db, { wake });
 *   const store: Store = {
 *     tenants: { ...shared.tenants, delete: engineTenantDelete },
 *     webhooks: { ...shared.webhooks, delete: engineWebhookDelete },
 *     events: { ...shared.events, ingest: engineIngest },
 *     apiKeys: shared.apiKeys, eventTypes: shared.eventTypes, deliveries: shared.deliveries, …
 *   };
 *
 * - `db` is a Kysely<Database> over the engine's connection(s). Every method here is ONE statement
 *   (or a few independent ones), never a transaction: on SQLite a Kysely transaction would hold the
 *   single connection across awaits and block the synchronous hot verbs.
 * - `wake` is called after deliveries.retry / deliveries.recover made work due, and after a
 *   webhooks.update that made a webhook claimable again (resumed or re-enabled: its backlog is due)
 *   (SQLite: the in-process wake; PostgreSQL: pg_notify + local fire). Awaited, so a rejection
 *   reaches the caller.
 * - Left to each engine: events.ingest, tenants.delete, webhooks.delete, and the whole QueueRepo.
 * - Repos are plain objects of closures, so spreading them into a Store is safe.
 *
 * Row mappers (toWebhook, toDelivery, …) are exported from ./rows.js for engines' hot SQL.
 */
import type { Kysely } from 'kysely';
import type {
  ApiKeyRepo,
  DeliveryRepo,
  EventRepo,
  EventTypeRepo,
  TenantRepo,
  WebhookRepo,
} from '../types.js';
import { createApiKeyRepo } from './api-keys.js';
import type { Database } from './database.js';
import { createDeliveryRepo } from './deliveries.js';
import { createEventTypeRepo } from './event-types.js';
import { createEventRepo } from './events.js';
import { createTenantRepo } from './tenants.js';
import { createWebhookRepo } from './webhooks.js';

export type { Database } from './database.js';

export interface SharedRepos {
  tenants: Omit<TenantRepo, 'delete'>;
  apiKeys: ApiKeyRepo;
  eventTypes: EventTypeRepo;
  webhooks: Omit<WebhookRepo, 'delete'>;
  events: Omit<EventRepo, 'ingest'>;
  deliveries: DeliveryRepo;
}

export interface SharedReposOptions {
  /** runs after a committed write that made deliveries due (retry, recover, resume, re-enable) */
  wake: () => void | Promise<void>;
}

export function createSharedRepos(db: Kysely<Database>, opts: SharedReposOptions): SharedRepos {
  return {
    tenants: createTenantRepo(db),
    apiKeys: createApiKeyRepo(db),
    eventTypes: createEventTypeRepo(db),
    webhooks: createWebhookRepo(db, opts.wake),
    events: createEventRepo(db),
    deliveries: createDeliveryRepo(db, opts.wake),
  };
}
