/**
 * Receiving side of Standard Webhooks: check that a request really came from hooklane (HMAC over
 * the raw bytes, constant-time, any of several secrets while one is being rotated) and that it is
 * fresh, then hand back the parsed event. The cryptography is the server's own signing module, so
 * sender and receiver cannot drift apart.
 */
import { SECRET_PREFIX, isValidSecret, verify, type HeaderBag } from '../signing/standard-webhooks.js';
import type { WebhookEvent } from './types.js';

export type WebhookVerificationReason =
  'missing_header' | 'invalid_signature' | 'timestamp_too_old' | 'timestamp_in_future' | 'invalid_payload';

/** What was wrong with a received webhook. `status` is the answer a receiver should give. */
export class WebhookVerificationError extends Error {
  readonly reason: WebhookVerificationReason;
  /** 400 for a malformed request, 401 when it cannot be trusted, 413 when the body is too large */
  readonly status: 400 | 401 | 413;

  constructor(reason: WebhookVerificationReason, message: string, status?: 400 | 401 | 413) {
    super(message);
    this.name = 'WebhookVerificationError';
    this.reason = reason;
    this.status = status ?? (reason === 'missing_header' || reason === 'invalid_payload' ? 400 : 401);
  }
}

export interface VerifyWebhookOptions {
  /** accepted clock difference either way, seconds (default 300) */
  toleranceS?: number;
  /** the current time, epoch ms or a Date (default now); for tests and replays of stored requests */
  now?: number | Date;
}

/** Node's `req.headers`, a plain object in any case, or a fetch `Headers` */
export type WebhookHeaders = HeaderBag | { get(name: string): string | null };

export type RawBody = string | Buffer | Uint8Array;

/** the headers that identify and sign a message */
export interface VerifiedMessage {
  /** `webhook-id`: the event id, the same on every retry */
  id: string;
  /** `webhook-timestamp`: unix seconds of this attempt */
  timestampS: number;
}

const SIGNED_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;

function headerBag(headers: WebhookHeaders): HeaderBag {
  if (typeof headers.get !== 'function') return headers as HeaderBag;
  const fetchHeaders = headers as { get(name: string): string | null };
  const bag: HeaderBag = {};
  for (const name of SIGNED_HEADERS) bag[name] = fetchHeaders.get(name) ?? undefined;
  return bag;
}

function bodyBytes(body: RawBody): string | Buffer {
  if (typeof body === 'string' || Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  // A parsed object here means a JSON body parser ran first: its re-serialisation is not the bytes
  // that were signed, so it could never verify. Say so rather than report a bad signature.
  throw new TypeError(
    'verifyWebhook needs the raw request body (string, Buffer or Uint8Array), not a parsed object: ' +
      'read the body before any JSON parser runs',
  );
}

/** Secrets are `whsec_…`; one without the prefix is accepted too, as other Standard Webhooks libraries do. */
function secretList(secret: string | readonly string[]): string[] {
  const list = typeof secret === 'string' ? [secret] : [...secret];
  if (list.length === 0) throw new TypeError('verifyWebhook needs at least one secret');
  return list.map((s) => {
    const full = s.startsWith(SECRET_PREFIX) ? s : SECRET_PREFIX + s;
    // A mistyped secret would otherwise fail every request as "invalid_signature".
    if (!isValidSecret(full))
      throw new TypeError('webhook secret must be "whsec_" followed by base64 of 24–64 bytes');
    return full;
  });
}

function nowMs(now: number | Date | undefined): number {
  if (now === undefined) return Date.now();
  return typeof now === 'number' ? now : now.getTime();
}

/**
 * Verifies the signature and timestamp of a received webhook without parsing the body: for
 * webhooks with `payload_format: raw`, whose body is whatever the original sender sent.
 */
export function verifyWebhookSignature(
  rawBody: RawBody,
  headers: WebhookHeaders,
  secret: string | readonly string[],
  opts: VerifyWebhookOptions = {},
): VerifiedMessage {
  return checkSignature(bodyBytes(rawBody), headers, secret, opts);
}

function checkSignature(
  body: string | Buffer,
  headers: WebhookHeaders,
  secret: string | readonly string[],
  opts: VerifyWebhookOptions,
): VerifiedMessage {
  const secrets = secretList(secret);
  const toleranceS = opts.toleranceS ?? 300;
  const result = verify(body, headerBag(headers), secrets, { toleranceS, now: nowMs(opts.now) });
  if (result.ok) return { id: result.msgId, timestampS: result.timestampS };
  switch (result.reason) {
    case 'missing_header':
      throw new WebhookVerificationError(
        'missing_header',
        'webhook-id, webhook-timestamp and webhook-signature headers are required',
      );
    case 'invalid_timestamp':
      // A malformed required header is reported like an absent one: the request is malformed (400).
      throw new WebhookVerificationError('missing_header', 'webhook-timestamp header must be unix seconds');
    case 'timestamp_too_old':
      throw new WebhookVerificationError(
        'timestamp_too_old',
        `webhook-timestamp is more than ${toleranceS} s in the past`,
      );
    case 'timestamp_in_future':
      throw new WebhookVerificationError(
        'timestamp_in_future',
        `webhook-timestamp is more than ${toleranceS} s in the future`,
      );
    case 'invalid_signature':
      throw new WebhookVerificationError('invalid_signature', 'no signature matches the secret');
  }
}

function isEnvelope(value: unknown): value is WebhookEvent {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.id === 'string' && typeof v.type === 'string' && typeof v.timestamp === 'string' && 'data' in v
  );
}

/**
 * Verifies a webhook from hooklane and returns its event.
 *
 * @param rawBody the request body exactly as received (never a re-serialised object)
 * @param headers the request headers (Node's `req.headers`, a plain object, or fetch `Headers`)
 * @param secret the webhook's secret, or several while one is being rotated: any match is enough
 * @throws WebhookVerificationError with a `reason` saying what was wrong
 */
export function verifyWebhook<TData = unknown>(
  rawBody: RawBody,
  headers: WebhookHeaders,
  secret: string | readonly string[],
  opts: VerifyWebhookOptions = {},
): WebhookEvent<TData> {
  const body = bodyBytes(rawBody);
  checkSignature(body, headers, secret, opts);
  const text = typeof body === 'string' ? body : body.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new WebhookVerificationError('invalid_payload', 'body is not JSON');
  }
  if (!isEnvelope(parsed)) {
    throw new WebhookVerificationError(
      'invalid_payload',
      'body is not a hooklane event {id, type, timestamp, data}',
    );
  }
  return parsed as WebhookEvent<TData>;
}
