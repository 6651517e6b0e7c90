/**
 * The sender: one attempt of one delivery, as API.md "What a webhook receives" describes it.
 * It signs, POSTs through the guarded undici Agent, reads at most the first 4 KiB of the answer,
 * and reports an Attempt row; deciding what happens next is the dispatcher's job
 * (classifyOutcome in domain/outcome.ts).
 *
 * A DeliveryTransport is how an attempt reaches its receiver. HTTP is the default; webhooks with a
 * `listener_id` (`hooklane listen`) can be routed through a streaming transport instead.
 */
import { performance } from 'node:perf_hooks';
import type { Agent } from 'undici';
import { newId } from '../domain/ids.js';
import { errorClassForStatus } from '../domain/outcome.js';
import type { Attempt, ErrorClass, Webhook, WebhookSecret } from '../domain/types.js';
import { signatureHeader } from '../signing/standard-webhooks.js';
import type { ClaimedDelivery } from '../store/types.js';
import { EGRESS_BLOCKED_CODE, createGuardedAgent, type LookupFn } from './egress.js';

export interface SendResult {
  /** the attempt row to record, complete */
  attempt: Attempt;
  /** the answer's Retry-After header, if any */
  retryAfter: string | undefined;
}

export interface DeliveryTransport {
  /** Makes one attempt. Never throws for receiver or network failures: they are in the attempt. */
  send(claimed: ClaimedDelivery, attemptNumber: number, now: number): Promise<SendResult>;
}

/** the part of a response body kept in the attempt */
export const RESPONSE_BODY_LIMIT = 4096;
// Past the kept excerpt the body is read and thrown away so the keep-alive connection can be
// reused, up to this much; a receiver that sends more gets its connection closed instead.
const RESPONSE_DRAIN_LIMIT = 64 * 1024;
const ERROR_MESSAGE_LIMIT = 500;

const SIGNATURE_HEADER = 'webhook-signature';

/**
 * Header names a webhook's custom headers can never set: the signature headers (a receiver must be
 * able to trust them), hooklane's own, and what the HTTP client owns (framing, connection).
 */
const RESERVED_HEADERS = new Set([
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'content-type',
  'content-length',
  'host',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'proxy-connection',
]);

/** Custom header values kept out of the attempt log: receivers' own credentials. */
const SENSITIVE_HEADER = /authorization|cookie|secret|token|api[-_]?key|password|signature/i;
const REDACTED = '[redacted]';

/** The secrets that sign now: the current one and rotated-out ones still in their grace period. */
export function activeSecrets(secrets: readonly WebhookSecret[], now: number): string[] {
  const out: string[] = [];
  for (const s of secrets) if (s.expires_at === null || s.expires_at > now) out.push(s.secret);
  return out;
}

interface Target {
  origin: string;
  path: string;
}

// Parsing a URL costs a few µs per attempt; webhooks are few and their URLs change rarely.
const TARGET_CACHE_MAX = 10_000;
const targets = new Map<string, Target>();

function targetOf(url: string): Target {
  let t = targets.get(url);
  if (t === undefined) {
    const u = new URL(url);
    t = { origin: u.origin, path: u.pathname + u.search };
    if (targets.size >= TARGET_CACHE_MAX) targets.clear();
    targets.set(url, t);
  }
  return t;
}

interface BuiltRequest {
  body: string | Buffer;
  headers: Record<string, string>;
  /** `headers` minus the signature, custom credentials redacted */
  recorded: Record<string, string>;
}

/** The exact request of one attempt (exported for transports that are not HTTP). */
export function buildRequest(claimed: ClaimedDelivery, attemptNumber: number, now: number): BuiltRequest {
  const { event, webhook } = claimed;
  const rawBody = webhook.payload_format === 'raw' ? event.raw_body : null;
  const raw = rawBody !== null;
  const body: string | Buffer = rawBody ?? event.payload;
  const timestampS = Math.floor(now / 1000);

  const recorded: Record<string, string> = {};
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(webhook.headers)) {
    const lower = name.toLowerCase();
    if (RESERVED_HEADERS.has(lower) || lower.startsWith('x-hooklane-')) continue;
    headers[lower] = value;
    recorded[lower] = SENSITIVE_HEADER.test(lower) ? REDACTED : value;
  }
  const own: Record<string, string> = {
    'content-type': raw ? (event.raw_content_type ?? 'application/octet-stream') : 'application/json',
    'webhook-id': event.id,
    'webhook-timestamp': String(timestampS),
    'x-hooklane-event-type': event.type,
    'x-hooklane-webhook-id': webhook.id,
    'x-hooklane-attempt': String(attemptNumber),
  };
  if (raw && event.source_id !== null) own['x-hooklane-source-id'] = event.source_id;
  Object.assign(headers, own);
  Object.assign(recorded, own);
  headers[SIGNATURE_HEADER] = signatureHeader(
    activeSecrets(webhook.secrets, now),
    event.id,
    timestampS,
    body,
  );
  return { body, headers, recorded };
}

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ECONNRESET',
  'UND_ERR_SOCKET',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_HAS_EXPIRED',
]);
const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  // net's happy-eyeballs connect fails with an AggregateError of per-address errors
  const inner = (err as { errors?: unknown }).errors;
  return Array.isArray(inner) ? errorCode(inner[0]) : undefined;
}

function classifyError(err: unknown): ErrorClass {
  const code = errorCode(err);
  if (code === EGRESS_BLOCKED_CODE) return 'blocked';
  if (code !== undefined && TIMEOUT_CODES.has(code)) return 'timeout';
  if (
    code !== undefined &&
    (CONNECT_CODES.has(code) || code.startsWith('ERR_TLS') || code.startsWith('CERT_'))
  )
    return 'connect';
  return 'other';
}

function describeError(err: unknown): string {
  const code = errorCode(err);
  let msg = err instanceof Error && err.message !== '' ? err.message : String(err);
  if (code !== undefined && !msg.includes(code)) msg = `${code}: ${msg}`;
  return msg.length > ERROR_MESSAGE_LIMIT ? msg.slice(0, ERROR_MESSAGE_LIMIT) : msg;
}

/** What came back for one request: a status, or an error before it, or an error after it. */
interface Exchange {
  status: number | null;
  retryAfter: string | undefined;
  /** the first RESPONSE_BODY_LIMIT bytes of the answer, null when the body did not complete */
  excerpt: string | null;
  /** set when the exchange failed: before the status (no answer) or while reading the body */
  error: Error | null;
  timedOut: boolean;
}

const RETRY_AFTER = 'retry-after';

/**
 * One request through `Agent.dispatch`, with undici's raw handler interface: no Readable for the
 * body, no AbortSignal, no header object, which `Agent.request` would build for every attempt
 * (bench #1: a delivery's HTTP client side is the larger part of hooklane's own CPU).
 *
 * One deadline covers everything, a connection that is still being opened included: the exchange
 * settles at `timeoutMs` whatever undici is doing, and a request whose connection opens later is
 * aborted before a byte of it is written.
 */
class ExchangeHandler {
  private abortRequest: ((err: Error) => void) | null = null;
  private settled = false;
  private readonly timer: NodeJS.Timeout;
  private readonly kept: Buffer[] = [];
  private keptBytes = 0;
  private seen = 0;
  private readonly result: Exchange = {
    status: null,
    retryAfter: undefined,
    excerpt: null,
    error: null,
    timedOut: false,
  };

  constructor(
    timeoutMs: number,
    private readonly done: (e: Exchange) => void,
  ) {
    this.timer = setTimeout(this.onDeadline, timeoutMs);
  }

  private readonly onDeadline = (): void => {
    this.result.timedOut = true;
    const deadline = new Error('deadline');
    this.settle(deadline);
    // the request may still be mid-body: end it and its connection (one still queued or connecting
    // is aborted in onConnect)
    this.abortRequest?.(deadline);
  };

  private settle(error: Error | null): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.result.error = error;
    if (error === null) this.result.excerpt = Buffer.concat(this.kept, this.keptBytes).toString('utf8');
    this.done(this.result);
  }

  onConnect(abort: (err?: Error) => void): void {
    if (this.settled) abort(new Error('the attempt ended before its connection opened'));
    else this.abortRequest = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[] | string[]): boolean {
    if (statusCode < 200) return true; // 1xx: the answer is still to come
    this.result.status = statusCode;
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const name = rawHeaders[i]!;
      if (name.length === RETRY_AFTER.length && name.toString().toLowerCase() === RETRY_AFTER) {
        this.result.retryAfter = rawHeaders[i + 1]!.toString();
        break;
      }
    }
    return true;
  }

  /** keeps the first RESPONSE_BODY_LIMIT bytes and drains the rest, up to RESPONSE_DRAIN_LIMIT */
  onData(chunk: Buffer): boolean {
    if (this.settled) return false;
    if (this.keptBytes < RESPONSE_BODY_LIMIT) {
      const part =
        chunk.length > RESPONSE_BODY_LIMIT - this.keptBytes
          ? chunk.subarray(0, RESPONSE_BODY_LIMIT - this.keptBytes)
          : chunk;
      this.kept.push(part);
      this.keptBytes += part.length;
    }
    this.seen += chunk.length;
    if (this.seen > RESPONSE_DRAIN_LIMIT) {
      // Enough: the excerpt is kept, and the connection is closed rather than drained further.
      this.settle(null);
      const abort = this.abortRequest;
      queueMicrotask(() => abort?.(new Error('response body past the drain limit')));
      return false;
    }
    return true;
  }

  onComplete(): void {
    this.settle(null);
  }

  onError(err: Error): void {
    this.settle(err);
  }
}

export interface HttpTransportOptions {
  allowPrivateNetworks: boolean;
  /** DNS for the connect-time guard (tests inject one) */
  lookup?: LookupFn;
  /** connections per receiver origin (default 256) */
  connectionsPerOrigin?: number;
}

/** POSTs attempts over HTTP(S) through one shared, guarded keep-alive Agent. */
export class HttpTransport implements DeliveryTransport {
  private readonly agent: Agent;

  constructor(opts: HttpTransportOptions) {
    this.agent = createGuardedAgent({
      allowPrivateNetworks: opts.allowPrivateNetworks,
      ...(opts.lookup !== undefined ? { lookup: opts.lookup } : {}),
      ...(opts.connectionsPerOrigin !== undefined ? { connectionsPerOrigin: opts.connectionsPerOrigin } : {}),
    });
  }

  async send(claimed: ClaimedDelivery, attemptNumber: number, now: number): Promise<SendResult> {
    const { delivery, webhook } = claimed;
    const req = buildRequest(claimed, attemptNumber, now);
    const target = targetOf(webhook.url);

    const started = performance.now();
    const x = await new Promise<Exchange>((resolve) => {
      this.agent.dispatch(
        { origin: target.origin, path: target.path, method: 'POST', headers: req.headers, body: req.body },
        new ExchangeHandler(webhook.timeout_ms, resolve),
      );
    });
    const status = x.status;
    let error: string | null = null;
    let errorClass: ErrorClass | null;
    if (status !== null) {
      // The status decides the outcome; an unfinished body is only noted.
      errorClass = errorClassForStatus(status);
      if (x.error !== null)
        error = x.timedOut
          ? `response body not complete within ${webhook.timeout_ms} ms`
          : describeError(x.error);
    } else {
      errorClass = x.timedOut ? 'timeout' : classifyError(x.error);
      error = x.timedOut ? `no answer within ${webhook.timeout_ms} ms` : describeError(x.error);
    }
    // Rounded up: a request that happened took time, even on loopback.
    const durationMs = Math.ceil(performance.now() - started);

    return {
      retryAfter: x.retryAfter,
      attempt: {
        tenant_id: delivery.tenant_id,
        id: newId('attempt', now),
        delivery_id: delivery.id,
        event_id: delivery.event_id,
        webhook_id: webhook.id,
        attempt_number: attemptNumber,
        started_at: now,
        duration_ms: durationMs,
        url: webhook.url,
        request_headers: req.recorded,
        response_status: status,
        response_body: x.excerpt,
        error,
        error_class: errorClass,
        succeeded: status !== null && status >= 200 && status < 300,
      },
    };
  }

  /** Closes idle connections and waits for requests in flight. */
  close(): Promise<void> {
    return this.agent.close();
  }

  /** Drops every connection now, failing requests in flight. */
  destroy(): Promise<void> {
    return this.agent.destroy();
  }
}

/** Chooses the transport of a webhook's deliveries. */
export type TransportResolver = (webhook: Webhook) => DeliveryTransport;
