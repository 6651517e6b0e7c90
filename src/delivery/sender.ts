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
import type { Agent, Dispatcher } from 'undici';
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

function headerString(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** Reads the first RESPONSE_BODY_LIMIT bytes; the rest is drained without being kept. */
async function readExcerpt(body: Dispatcher.ResponseData['body']): Promise<string> {
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let seen = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (keptBytes < RESPONSE_BODY_LIMIT) {
      const part =
        chunk.length > RESPONSE_BODY_LIMIT - keptBytes
          ? chunk.subarray(0, RESPONSE_BODY_LIMIT - keptBytes)
          : chunk;
      kept.push(part);
      keptBytes += part.length;
    }
    seen += chunk.length;
    // leaving the loop destroys the stream, and with it the connection
    if (seen > RESPONSE_DRAIN_LIMIT) break;
  }
  return Buffer.concat(kept, keptBytes).toString('utf8');
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

    // One deadline for everything: connecting, sending, the answer's headers and its body.
    const abort = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, webhook.timeout_ms);

    let status: number | null = null;
    let responseBody: string | null = null;
    let retryAfter: string | undefined;
    let error: string | null = null;
    let errorClass: ErrorClass | null = null;
    const started = performance.now();
    try {
      const res = await this.agent.request({
        origin: target.origin,
        path: target.path,
        method: 'POST',
        headers: req.headers,
        body: req.body,
        signal: abort.signal,
      });
      status = res.statusCode;
      retryAfter = headerString(res.headers['retry-after']);
      errorClass = errorClassForStatus(status);
      try {
        responseBody = await readExcerpt(res.body);
      } catch (err) {
        // The status already decides the outcome; an unfinished body is only noted.
        error = timedOut ? `response body not complete within ${webhook.timeout_ms} ms` : describeError(err);
      }
    } catch (err) {
      errorClass = timedOut ? 'timeout' : classifyError(err);
      error = timedOut ? `no answer within ${webhook.timeout_ms} ms` : describeError(err);
    } finally {
      clearTimeout(timer);
    }
    // Rounded up: a request that happened took time, even on loopback.
    const durationMs = Math.ceil(performance.now() - started);

    return {
      retryAfter,
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
        response_body: responseBody,
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
