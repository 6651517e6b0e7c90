/**
 * The inbound gateway: what happens to one request at `/in/{token}`, apart from HTTP plumbing
 * (src/api/routes/inbound.ts). In order:
 *
 *   resolve   token → live source (SHA-256 lookup; rotated-out tokens until their grace ends)
 *   admit     per-source rate limit (429 + Retry-After) and declared size (413)
 *   receive   handshakes (Meta GET, Slack url_verification) · verify over the raw bytes (401) ·
 *             parse (400) · schema (400) · dedupe · ingest (group commit) → 200 {id[, duplicate]}
 *
 * Every request of a known source is recorded in its request log, rejected ones too, with the
 * reason and with secret headers redacted; only an unknown token is answered without a trace.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../domain/clock.js';
import { HooklaneError, type ErrorCode } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import type { Json, Source, SourceRequestOutcome } from '../domain/types.js';
import { buildEvent, type EventIngestor } from '../ingest/events.js';
import { header, secretEquals, type HeaderBag } from '../signing/providers/index.js';
import type { Store } from '../store/types.js';
import { bodyKind, dedupeKeyOf, eventTypeOf, parseBody } from './body.js';
import { defaultEventTypeRuleFor, defaultIdRuleFor, secretHeaderNames } from './presets.js';
import { SourceRateLimiter } from './rate-limit.js';
import { SourceRequestLog } from './request-log.js';
import { SourceSchemas } from './source-schema.js';
import { verifyInbound, withStandardWebhookAliases } from './verification.js';

/** bytes of the body kept in the request log (of requests that did not become an event) */
const BODY_EXCERPT_BYTES = 2048;
/** dedupe entries and rotated-out tokens are pruned at most this often */
const PRUNE_EVERY_MS = 10 * 60_000;
const REDACTED = '[redacted]';
const TOKEN_CACHE_MS = 1000;
const TOKEN_CACHE_MAX = 10_000;
/** never stored with an event: they describe the connection, not the message */
const HOP_HEADERS = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'host',
  'te',
  'upgrade',
]);

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export interface InboundRequest {
  /** Fastify's request id: also the id of the request log entry */
  id: string;
  method: string;
  headers: HeaderBag;
  query: Record<string, string | string[] | undefined>;
  body: Buffer;
  receivedAt: number;
}

export interface InboundAnswer {
  status: number;
  /** JSON (an object) or plain text (Meta's challenge) */
  body: Record<string, Json> | string;
  outcome: SourceRequestOutcome;
  eventId: string | null;
}

export interface InboundGatewayDeps {
  store: Store;
  ingestor: EventIngestor;
  clock: Clock;
  logger: Logger;
}

export class InboundGateway {
  readonly schemas = new SourceSchemas();
  private readonly store: Store;
  private readonly ingestor: EventIngestor;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly limiter: SourceRateLimiter;
  private readonly requestLog: SourceRequestLog;
  private lastPrune = 0;
  /** token hash → its source, briefly (see resolve) */
  private readonly tokens = new Map<string, { source: Source; until: number }>();

  constructor(deps: InboundGatewayDeps) {
    this.store = deps.store;
    this.ingestor = deps.ingestor;
    this.clock = deps.clock;
    this.logger = deps.logger;
    this.limiter = new SourceRateLimiter(deps.clock);
    this.requestLog = new SourceRequestLog(deps.store, deps.logger);
  }

  /**
   * The live source of a URL token; null for an unknown or expired token. Found sources are kept
   * for TOKEN_CACHE_MS: a provider sends many requests to one URL, and the lookup was a third of
   * the database work of an accepted request. Changes made through this process apply at once
   * (forget); other processes sharing a PostgreSQL database see them within TOKEN_CACHE_MS.
   * Unknown tokens are not cached, so guessing costs a lookup but never fills memory.
   */
  async resolve(token: string): Promise<Source | null> {
    if (token.length > 256) return null;
    const now = this.clock.now();
    const hash = hashToken(token);
    const hit = this.tokens.get(hash);
    if (hit !== undefined && hit.until > now) return hit.source;
    const found = await this.store.sources.findByTokenHash(hash, now);
    this.maybePrune();
    if (found === null) {
      this.tokens.delete(hash);
      return null;
    }
    if (this.tokens.size >= TOKEN_CACHE_MAX) this.tokens.clear();
    const until = Math.min(now + TOKEN_CACHE_MS, found.expires_at ?? Number.POSITIVE_INFINITY);
    this.tokens.set(hash, { source: found.source, until });
    return found.source;
  }

  /** before the body is read: inactive (404), rate limit (429), declared length (413) */
  admit(source: Source, contentLength: number | null): void {
    if (!source.active) throw new HooklaneError('not_found', 'no active source at this URL');
    const wait = this.limiter.take(`${source.tenant_id}/${source.id}`, source.rate_limit_per_s);
    if (wait !== null) {
      throw new HooklaneError(
        'rate_limited',
        `source accepts ${source.rate_limit_per_s} requests per second`,
        {
          retryAfterS: Math.max(1, Math.ceil(wait)),
        },
      );
    }
    if (contentLength !== null && contentLength > source.max_body_bytes) throw bodyTooLarge(source);
  }

  async receive(source: Source, req: InboundRequest): Promise<InboundAnswer> {
    const v = source.verification;
    // GET (and the HEAD Fastify derives from it) never create events: handshakes only
    if (req.method === 'GET' || req.method === 'HEAD') {
      if (v.type !== 'meta')
        throw new HooklaneError('method_not_allowed', 'GET is only for provider handshakes');
      // Meta's subscription handshake: echo hub.challenge when hub.verify_token is ours
      const given = req.query['hub.verify_token'];
      const challenge = req.query['hub.challenge'];
      // a repeated parameter arrives as an array: refused like a missing one
      if (
        req.query['hub.mode'] !== 'subscribe' ||
        typeof given !== 'string' ||
        typeof challenge !== 'string'
      ) {
        throw new HooklaneError(
          'validation_failed',
          'expected hub.mode=subscribe, hub.verify_token and hub.challenge',
        );
      }
      if (!secretEquals(v.verify_token, given)) {
        throw new HooklaneError(
          'signature_invalid',
          'hub.verify_token does not match (verify_token_mismatch)',
        );
      }
      return { status: 200, body: challenge, outcome: 'handshake', eventId: null };
    }

    const headers = v.type === 'standard_webhooks' ? withStandardWebhookAliases(req.headers) : req.headers;
    const window = { now: this.clock.now(), toleranceS: source.tolerance_s };
    const verdict = verifyInbound(v, req.body, headers, window);
    // while a rotated-out secret is in its grace period it verifies too (the reason stays the
    // current secret's)
    const byPrevious =
      !verdict.ok &&
      verdict.reason === 'invalid_signature' &&
      'secret' in v &&
      source.previous_secrets.some(
        (p) =>
          p.expires_at > window.now &&
          verifyInbound({ ...v, secret: p.secret }, req.body, headers, window).ok,
      );
    if (!verdict.ok && !byPrevious) {
      throw new HooklaneError('signature_invalid', `verification failed: ${verdict.reason}`);
    }

    const contentType = header(req.headers, 'content-type') ?? null;
    const data = parseBody(req.body, bodyKind(contentType));
    if (v.type === 'slack' && isSlackUrlVerification(data)) {
      return { status: 200, body: { challenge: data.challenge }, outcome: 'handshake', eventId: null };
    }
    this.schemas.check(source, data);

    const now = this.clock.now();
    const type = eventTypeOf(source.event_type ?? defaultEventTypeRuleFor(v.type), headers, data);
    const eventOf = (id: string) =>
      buildEvent(
        {
          tenantId: source.tenant_id,
          id,
          type,
          data,
          sourceId: source.id,
          rawBody: req.body,
          rawContentType: contentType,
          sourceHeaders: this.eventHeaders(source, req.headers),
        },
        now,
      );
    const event = eventOf(newId('event', now));
    // The dedupe key is claimed in the event's own transaction (SQLite; PostgreSQL just before it):
    // a live claim by an earlier request makes this one a duplicate of that event.
    let result = await this.ingestor.ingest(
      source.dedupe_window_s > 0
        ? {
            event,
            dedupe: {
              key: dedupeKeyOf(source.id_from ?? defaultIdRuleFor(v.type), headers, data, req.body),
              expires_at: now + source.dedupe_window_s * 1000,
            },
          }
        : { event },
    );
    // The key's first request died before storing its event: store it under that event's id (ingest
    // is idempotent on it, so copies racing here are still stored once).
    if (result.rekeyTo !== undefined) result = await this.ingestor.ingest({ event: eventOf(result.rekeyTo) });
    return result.duplicate
      ? {
          status: 200,
          body: { id: result.event.id, duplicate: true },
          outcome: 'duplicate',
          eventId: result.event.id,
        }
      : { status: 200, body: { id: result.event.id }, outcome: 'accepted', eventId: result.event.id };
  }

  /** records one request in its source's log (written in the background) */
  record(
    source: Source,
    req: Omit<InboundRequest, 'query'>,
    answer: { status: number; outcome: SourceRequestOutcome; reason: string | null; eventId: string | null },
  ): void {
    const secret = secretHeaderNames(source.verification);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined) continue;
      const lower = name.toLowerCase();
      headers[lower] = secret.has(lower) ? REDACTED : Array.isArray(value) ? value.join(', ') : value;
    }
    this.requestLog.append({
      tenant_id: source.tenant_id,
      id: req.id,
      source_id: source.id,
      received_at: req.receivedAt,
      method: req.method,
      headers,
      content_type: header(req.headers, 'content-type') ?? null,
      body_bytes: req.body.length,
      // an accepted request's body is kept whole by its event (event_id); the log keeps the others'
      body_excerpt:
        req.body.length === 0 || answer.outcome === 'accepted'
          ? null
          : req.body.subarray(0, BODY_EXCERPT_BYTES).toString('utf8'),
      status: answer.status,
      outcome: answer.outcome,
      reason: answer.reason,
      event_id: answer.eventId,
    });
  }

  /** the source was changed, rotated or deleted: cached lookups go, its rate limit starts over */
  forget(source: { tenant_id: string; id: string }): void {
    this.limiter.forget(`${source.tenant_id}/${source.id}`);
    for (const [hash, entry] of this.tokens) {
      if (entry.source.tenant_id === source.tenant_id && entry.source.id === source.id)
        this.tokens.delete(hash);
    }
  }

  /** stores every queued request log entry */
  async flush(): Promise<void> {
    await this.requestLog.flush();
  }

  /** the request's headers minus secrets and connection headers, as stored with the event */
  private eventHeaders(source: Source, headers: HeaderBag): Record<string, string> {
    const secret = secretHeaderNames(source.verification);
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
      const lower = name.toLowerCase();
      if (value === undefined || secret.has(lower) || HOP_HEADERS.has(lower)) continue;
      out[lower] = Array.isArray(value) ? value.join(', ') : value;
    }
    return out;
  }

  private maybePrune(): void {
    const now = this.clock.now();
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    this.store.sources.prune(now).catch((e: unknown) => {
      this.logger.warn({ err: e }, 'pruning expired source dedupe entries failed');
    });
  }
}

export function bodyTooLarge(source: Source): HooklaneError {
  return new HooklaneError(
    'body_too_large',
    `this source accepts bodies of at most ${source.max_body_bytes} bytes`,
  );
}

function isSlackUrlVerification(data: Json): data is { type: string; challenge: string } {
  return (
    data !== null &&
    typeof data === 'object' &&
    !Array.isArray(data) &&
    data.type === 'url_verification' &&
    typeof data.challenge === 'string'
  );
}

/** the reason recorded in the request log for a refused request */
export function reasonOf(e: HooklaneError): string {
  const code: ErrorCode = e.code;
  return `${code}: ${e.message}`;
}
