/**
 * A typed client for the whole public API (see API.md):
 *
 *   const hooklane = new Hooklane({ baseUrl: 'http://127.0.0.1:8080', apiKey });
 *   await hooklane.webhooks.create('acme', { url: 'https://example.com/hooks', events: ['user.*'] });
 *   await hooklane.events.send('acme', { type: 'user.created', data: { id: 1 } }, { idempotencyKey: 'signup-1' });
 *   for await (const webhook of hooklane.webhooks.iterate('acme')) console.log(webhook.url);
 *
 * `list` returns one page; `iterate` walks every page. Reads, PUT and DELETE are retried on
 * 429/5xx and network errors; so is sending an event that carries an id or an idempotency
 * key (the server answers a repeat with the original event). Other writes are sent once.
 */
import { seg, Transport, type TransportOptions } from './http.js';
import type {
  ApiKey,
  ApiKeyCreate,
  ApiKeyCreated,
  Delivery,
  DeliveryListParams,
  DeliveryWithAttempts,
  Event,
  EventAccepted,
  EventListParams,
  EventSend,
  EventType,
  EventTypePut,
  Listener,
  ListenerRegister,
  ListenerResult,
  Page,
  PageParams,
  PortalLink,
  PortalLinkCreate,
  RecoverResult,
  SecretRotate,
  Source,
  SourceCreate,
  SourceCreated,
  SourceRequest,
  SourceRotateUrl,
  SourceSecretRotate,
  SourceUpdate,
  SourceVerification,
  Stats,
  StatsWindow,
  Tenant,
  TenantCreate,
  TenantUpdate,
  WhoAmI,
  Webhook,
  WebhookCreate,
  WebhookCreated,
  WebhookRecover,
  WebhookReplace,
  WebhookSecret,
  WebhookTest,
  WebhookUpdate,
} from './types.js';

export type HooklaneOptions = TransportOptions;

export interface SendOptions {
  /** a retry with the same key returns the original event and sends nothing again */
  idempotencyKey?: string;
}

function page(params: PageParams | undefined) {
  return { limit: params?.limit, cursor: params?.cursor };
}

function iso(t: string | Date | undefined): string | undefined {
  return t instanceof Date ? t.toISOString() : t;
}

class Tenants {
  constructor(private readonly http: Transport) {}

  create(body: TenantCreate): Promise<Tenant> {
    return this.http.request({ method: 'POST', path: '/v1/tenants', body, repeatable: false });
  }
  list(params?: PageParams): Promise<Page<Tenant>> {
    return this.http.request({ method: 'GET', path: '/v1/tenants', query: page(params), repeatable: true });
  }
  iterate(params?: Omit<PageParams, 'cursor'>): AsyncGenerator<Tenant, void, undefined> {
    return this.http.paginate({ method: 'GET', path: '/v1/tenants', query: page(params), repeatable: true });
  }
  get(tenant: string): Promise<Tenant> {
    return this.http.request({ method: 'GET', path: `/v1/tenants/${seg(tenant)}`, repeatable: true });
  }
  update(tenant: string, body: TenantUpdate): Promise<Tenant> {
    return this.http.request({
      method: 'PATCH',
      path: `/v1/tenants/${seg(tenant)}`,
      body,
      repeatable: false,
    });
  }
  delete(tenant: string): Promise<void> {
    return this.http.request({ method: 'DELETE', path: `/v1/tenants/${seg(tenant)}`, repeatable: true });
  }
}

class ApiKeys {
  constructor(private readonly http: Transport) {}

  private path(tenant: string) {
    return `/v1/tenants/${seg(tenant)}/api-keys`;
  }
  /** the returned `key` is shown only here */
  create(tenant: string, body: ApiKeyCreate): Promise<ApiKeyCreated> {
    return this.http.request({ method: 'POST', path: this.path(tenant), body, repeatable: false });
  }
  list(tenant: string, params?: PageParams): Promise<Page<ApiKey>> {
    return this.http.request({
      method: 'GET',
      path: this.path(tenant),
      query: page(params),
      repeatable: true,
    });
  }
  iterate(tenant: string, params?: Omit<PageParams, 'cursor'>): AsyncGenerator<ApiKey, void, undefined> {
    return this.http.paginate({
      method: 'GET',
      path: this.path(tenant),
      query: page(params),
      repeatable: true,
    });
  }
  delete(tenant: string, id: string): Promise<void> {
    return this.http.request({ method: 'DELETE', path: `${this.path(tenant)}/${seg(id)}`, repeatable: true });
  }
}

class EventTypes {
  constructor(private readonly http: Transport) {}

  /** creates or replaces the event type `name` */
  upsert(name: string, body: EventTypePut = {}): Promise<EventType> {
    return this.http.request({ method: 'PUT', path: `/v1/event-types/${seg(name)}`, body, repeatable: true });
  }
  list(params?: PageParams): Promise<Page<EventType>> {
    return this.http.request({
      method: 'GET',
      path: '/v1/event-types',
      query: page(params),
      repeatable: true,
    });
  }
  iterate(params?: Omit<PageParams, 'cursor'>): AsyncGenerator<EventType, void, undefined> {
    return this.http.paginate({
      method: 'GET',
      path: '/v1/event-types',
      query: page(params),
      repeatable: true,
    });
  }
  get(name: string): Promise<EventType> {
    return this.http.request({ method: 'GET', path: `/v1/event-types/${seg(name)}`, repeatable: true });
  }
  delete(name: string): Promise<void> {
    return this.http.request({ method: 'DELETE', path: `/v1/event-types/${seg(name)}`, repeatable: true });
  }
}

class Webhooks {
  constructor(private readonly http: Transport) {}

  private path(tenant: string, id?: string, action?: string) {
    let p = `/v1/tenants/${seg(tenant)}/webhooks`;
    if (id !== undefined) p += `/${seg(id)}`;
    if (action !== undefined) p += action;
    return p;
  }
  /** the result carries the signing `secret` */
  create(tenant: string, body: WebhookCreate): Promise<WebhookCreated> {
    return this.http.request({ method: 'POST', path: this.path(tenant), body, repeatable: false });
  }
  list(tenant: string, params?: PageParams): Promise<Page<Webhook>> {
    return this.http.request({
      method: 'GET',
      path: this.path(tenant),
      query: page(params),
      repeatable: true,
    });
  }
  iterate(tenant: string, params?: Omit<PageParams, 'cursor'>): AsyncGenerator<Webhook, void, undefined> {
    return this.http.paginate({
      method: 'GET',
      path: this.path(tenant),
      query: page(params),
      repeatable: true,
    });
  }
  get(tenant: string, id: string): Promise<Webhook> {
    return this.http.request({ method: 'GET', path: this.path(tenant, id), repeatable: true });
  }
  /** full replace: omitted fields return to their defaults */
  replace(tenant: string, id: string, body: WebhookReplace): Promise<Webhook> {
    return this.http.request({ method: 'PUT', path: this.path(tenant, id), body, repeatable: true });
  }
  /** partial update: omitted fields keep their value */
  update(tenant: string, id: string, body: WebhookUpdate): Promise<Webhook> {
    return this.http.request({ method: 'PATCH', path: this.path(tenant, id), body, repeatable: false });
  }
  /** its pending deliveries are cancelled */
  delete(tenant: string, id: string): Promise<void> {
    return this.http.request({ method: 'DELETE', path: this.path(tenant, id), repeatable: true });
  }
  secret(tenant: string, id: string): Promise<WebhookSecret> {
    return this.http.request({ method: 'GET', path: this.path(tenant, id, '/secret'), repeatable: true });
  }
  /** the previous secret keeps signing alongside the new one for `grace_period_s` */
  rotateSecret(tenant: string, id: string, body: SecretRotate = {}): Promise<WebhookSecret> {
    return this.http.request({
      method: 'POST',
      path: this.path(tenant, id, '/secret/rotate'),
      body,
      repeatable: false,
    });
  }
  /** sends a test event (type `webhook.test` unless given) to this webhook only */
  test(tenant: string, id: string, body: WebhookTest = {}): Promise<EventAccepted> {
    return this.http.request({
      method: 'POST',
      path: this.path(tenant, id, '/test'),
      body,
      repeatable: false,
    });
  }
  /** this webhook's delivery statistics over a window (default 24h) */
  stats(tenant: string, id: string, window?: StatsWindow): Promise<Stats> {
    return this.http.request({
      method: 'GET',
      path: this.path(tenant, id, '/stats'),
      query: { window },
      repeatable: true,
    });
  }
  /** re-delivers to this webhook the matching events of a time range */
  recover(tenant: string, id: string, body: WebhookRecover): Promise<RecoverResult> {
    const range = { since: iso(body.since), until: iso(body.until) };
    return this.http.request({
      method: 'POST',
      path: this.path(tenant, id, '/recover'),
      body: range,
      repeatable: false,
    });
  }
}

class Events {
  constructor(private readonly http: Transport) {}

  private path(tenant: string) {
    return `/v1/tenants/${seg(tenant)}/events`;
  }
  /**
   * Sends an event to every matching webhook of the tenant. With an `id` or an idempotency key a
   * repeat returns the original event and sends nothing again, so only then is it retried.
   */
  send<TData = unknown>(
    tenant: string,
    body: EventSend<TData>,
    opts: SendOptions = {},
  ): Promise<EventAccepted<TData>> {
    return this.http.request({
      method: 'POST',
      path: this.path(tenant),
      body,
      ...(opts.idempotencyKey !== undefined ? { headers: { 'idempotency-key': opts.idempotencyKey } } : {}),
      repeatable: body.id !== undefined || opts.idempotencyKey !== undefined,
    });
  }
  /**
   * The absolute URL of the tenant's live feed (GET with `Authorization: Bearer …`, Server-Sent
   * Events): `event` frames for new events, `delivery` frames for deliveries created or changed.
   */
  streamUrl(tenant: string): string {
    return `${this.http.baseUrl}/v1/tenants/${seg(tenant)}/stream`;
  }
  get<TData = unknown>(tenant: string, id: string): Promise<Event<TData>> {
    return this.http.request({ method: 'GET', path: `${this.path(tenant)}/${seg(id)}`, repeatable: true });
  }
  list(tenant: string, params?: EventListParams): Promise<Page<Event>> {
    return this.http.request({
      method: 'GET',
      path: this.path(tenant),
      query: eventQuery(params),
      repeatable: true,
    });
  }
  iterate(tenant: string, params?: Omit<EventListParams, 'cursor'>): AsyncGenerator<Event, void, undefined> {
    return this.http.paginate({
      method: 'GET',
      path: this.path(tenant),
      query: eventQuery(params),
      repeatable: true,
    });
  }
}

function eventQuery(params: EventListParams | undefined) {
  return {
    ...page(params),
    type: params?.type,
    since: iso(params?.since),
    until: iso(params?.until),
    source_id: params?.source_id,
  };
}

class Deliveries {
  constructor(private readonly http: Transport) {}

  private path(tenant: string) {
    return `/v1/tenants/${seg(tenant)}/deliveries`;
  }
  list(tenant: string, params?: DeliveryListParams): Promise<Page<Delivery>> {
    return this.http.request({
      method: 'GET',
      path: this.path(tenant),
      query: deliveryQuery(params),
      repeatable: true,
    });
  }
  iterate(
    tenant: string,
    params?: Omit<DeliveryListParams, 'cursor'>,
  ): AsyncGenerator<Delivery, void, undefined> {
    return this.http.paginate({
      method: 'GET',
      path: this.path(tenant),
      query: deliveryQuery(params),
      repeatable: true,
    });
  }
  /** with every attempt made so far */
  get(tenant: string, id: string): Promise<DeliveryWithAttempts> {
    return this.http.request({ method: 'GET', path: `${this.path(tenant)}/${seg(id)}`, repeatable: true });
  }
  /** queues one more attempt now */
  retry(tenant: string, id: string): Promise<Delivery> {
    return this.http.request({
      method: 'POST',
      path: `${this.path(tenant)}/${seg(id)}/retry`,
      repeatable: false,
    });
  }
}

function deliveryQuery(params: DeliveryListParams | undefined) {
  return {
    ...page(params),
    event_id: params?.event_id,
    webhook_id: params?.webhook_id,
    status: params?.status,
  };
}

/** Portal links: signed, short-lived dashboard links scoped to one tenant, for its people. */
class PortalLinks {
  constructor(private readonly http: Transport) {}

  create(tenant: string, body: PortalLinkCreate = {}): Promise<PortalLink> {
    return this.http.request({
      method: 'POST',
      path: `/v1/tenants/${seg(tenant)}/portal-links`,
      body,
      repeatable: false,
    });
  }
}

/** Inbound sources: public URLs that receive, verify and route providers' webhooks. */
class Sources {
  constructor(private readonly http: Transport) {}

  private path(tenant: string, id?: string, action?: string) {
    let p = `/v1/tenants/${seg(tenant)}/sources`;
    if (id !== undefined) p += `/${seg(id)}`;
    if (action !== undefined) p += action;
    return p;
  }
  /** the result's `verification` carries the secrets (also readable with `verification()`) */
  create(tenant: string, body: SourceCreate): Promise<SourceCreated> {
    return this.http.request({ method: 'POST', path: this.path(tenant), body, repeatable: false });
  }
  list(tenant: string, params?: PageParams): Promise<Page<Source>> {
    return this.http.request({
      method: 'GET',
      path: this.path(tenant),
      query: page(params),
      repeatable: true,
    });
  }
  iterate(tenant: string, params?: Omit<PageParams, 'cursor'>): AsyncGenerator<Source, void, undefined> {
    return this.http.paginate({
      method: 'GET',
      path: this.path(tenant),
      query: page(params),
      repeatable: true,
    });
  }
  get(tenant: string, id: string): Promise<Source> {
    return this.http.request({ method: 'GET', path: this.path(tenant, id), repeatable: true });
  }
  /** partial update; a new `verification` replaces the old one whole */
  update(tenant: string, id: string, body: SourceUpdate): Promise<Source> {
    return this.http.request({ method: 'PATCH', path: this.path(tenant, id), body, repeatable: false });
  }
  /** its URL stops at once; its events stay */
  delete(tenant: string, id: string): Promise<void> {
    return this.http.request({ method: 'DELETE', path: this.path(tenant, id), repeatable: true });
  }
  /** the verification with its secrets */
  verification(tenant: string, id: string): Promise<{ verification: SourceVerification }> {
    return this.http.request({
      method: 'GET',
      path: this.path(tenant, id, '/verification'),
      repeatable: true,
    });
  }
  /** a new verification secret; the old one keeps verifying for `grace_period_s` (default 0) */
  rotateSecret(
    tenant: string,
    id: string,
    body: SourceSecretRotate = {},
  ): Promise<{ verification: SourceVerification }> {
    return this.http.request({
      method: 'POST',
      path: this.path(tenant, id, '/secret/rotate'),
      body,
      repeatable: false,
    });
  }
  /** a new URL; the old one stops at once or after `grace_period_s` */
  rotateUrl(tenant: string, id: string, body: SourceRotateUrl = {}): Promise<Source> {
    return this.http.request({
      method: 'POST',
      path: this.path(tenant, id, '/rotate-url'),
      body,
      repeatable: false,
    });
  }
  /** every request the source received, rejected ones too, newest first */
  requests(tenant: string, id: string, params?: PageParams): Promise<Page<SourceRequest>> {
    return this.http.request({
      method: 'GET',
      path: this.path(tenant, id, '/requests'),
      query: page(params),
      repeatable: true,
    });
  }
  iterateRequests(
    tenant: string,
    id: string,
    params?: Omit<PageParams, 'cursor'>,
  ): AsyncGenerator<SourceRequest, void, undefined> {
    return this.http.paginate({
      method: 'GET',
      path: this.path(tenant, id, '/requests'),
      query: page(params),
      repeatable: true,
    });
  }
}

/**
 * `hooklane listen`'s server side. The stream itself (`streamUrl`) is Server-Sent Events; the
 * hooklane CLI reads it, and any SSE client can.
 */
class Listeners {
  constructor(private readonly http: Transport) {}

  private path(tenant: string, id?: string, action?: string) {
    let p = `/v1/tenants/${seg(tenant)}/listeners`;
    if (id !== undefined) p += `/${seg(id)}`;
    if (action !== undefined) p += action;
    return p;
  }
  /** registers (or, with `id`, re-registers) a listener and returns its secret */
  register(tenant: string, body: ListenerRegister): Promise<Listener> {
    // with an id a repeat finds the same listener; without one it would make a second
    return this.http.request({
      method: 'POST',
      path: this.path(tenant),
      body,
      repeatable: body.id !== undefined,
    });
  }
  /** the absolute URL of the listener's event stream (GET, `Authorization: Bearer …`) */
  streamUrl(tenant: string, id: string): string {
    return this.http.baseUrl + this.path(tenant, id, '/stream');
  }
  /** reports the local answer to one pushed delivery; it becomes that delivery's attempt */
  report(tenant: string, id: string, result: ListenerResult): Promise<void> {
    return this.http.request({
      method: 'POST',
      path: this.path(tenant, id, '/results'),
      body: result,
      repeatable: true,
    });
  }
  /** removes the listener now; its pending deliveries are cancelled */
  delete(tenant: string, id: string): Promise<void> {
    return this.http.request({ method: 'DELETE', path: this.path(tenant, id), repeatable: true });
  }
}

export class Hooklane {
  readonly tenants: Tenants;
  readonly apiKeys: ApiKeys;
  readonly eventTypes: EventTypes;
  readonly webhooks: Webhooks;
  readonly events: Events;
  readonly deliveries: Deliveries;
  readonly sources: Sources;
  readonly portalLinks: PortalLinks;
  readonly listeners: Listeners;
  private readonly http: Transport;

  constructor(opts: HooklaneOptions) {
    this.http = new Transport(opts);
    this.tenants = new Tenants(this.http);
    this.apiKeys = new ApiKeys(this.http);
    this.eventTypes = new EventTypes(this.http);
    this.webhooks = new Webhooks(this.http);
    this.events = new Events(this.http);
    this.deliveries = new Deliveries(this.http);
    this.sources = new Sources(this.http);
    this.portalLinks = new PortalLinks(this.http);
    this.listeners = new Listeners(this.http);
  }

  /** the API's base URL, without a trailing slash */
  get baseUrl(): string {
    return this.http.baseUrl;
  }

  /** what the api key is: the platform key, or a tenant's key with its role */
  me(): Promise<WhoAmI> {
    return this.http.request({ method: 'GET', path: '/v1/me', repeatable: true });
  }

  /** a tenant's delivery statistics over a window (default 24h), in buckets */
  stats(tenant: string, window?: StatsWindow): Promise<Stats> {
    return this.http.request({
      method: 'GET',
      path: `/v1/tenants/${seg(tenant)}/stats`,
      query: { window },
      repeatable: true,
    });
  }

  /** `{status: "ok"}`; throws HooklaneApiError 503 when the server's database is down */
  health(): Promise<{ status: string }> {
    return this.http.request({ method: 'GET', path: '/health', repeatable: true });
  }
}
