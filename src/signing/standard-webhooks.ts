/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): a message is signed with
 * HMAC-SHA256 over the raw bytes of `{msg_id}.{timestamp}.{body}`; the header carries a
 * space-separated list of `v1,<base64>` signatures so a receiver accepts any of them while a
 * rotated secret is in its grace period. Pure: imports nothing else of the project, never parses
 * the body, takes the clock as an argument.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';
const SECRET_MIN_BYTES = 24;
const SECRET_MAX_BYTES = 64;
const GENERATED_SECRET_BYTES = 32;
const SIGNATURE_VERSION = 'v1';
const HMAC_SHA256_BYTES = 32;
export const DEFAULT_TOLERANCE_S = 300;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** `whsec_` + base64 of 32 random bytes. */
export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(GENERATED_SECRET_BYTES).toString('base64');
}

/** Decodes the key bytes of a valid secret, or returns null. Padding may be omitted. */
function decodeSecret(secret: string): Buffer | null {
  if (!secret.startsWith(SECRET_PREFIX)) return null;
  const b64 = secret.slice(SECRET_PREFIX.length);
  if (!BASE64.test(b64)) return null;
  const key = Buffer.from(b64, 'base64');
  // Buffer.from ignores trailing garbage bits; a round trip rejects anything that is not canonical.
  if (key.toString('base64').replace(/=+$/, '') !== b64.replace(/=+$/, '')) return null;
  return key;
}

/** `whsec_` + base64 of 24–64 bytes. */
export function isValidSecret(secret: string): boolean {
  const key = decodeSecret(secret);
  return key !== null && key.length >= SECRET_MIN_BYTES && key.length <= SECRET_MAX_BYTES;
}

// Signing runs once per attempt per secret: decoding base64 each time costs more than the HMAC of
// a small body, so keys are decoded once. Bounded, because secrets rotate and webhooks come and go.
const KEY_CACHE_MAX = 10_000;
const keyCache = new Map<string, Buffer>();

function keyOf(secret: string): Buffer {
  let key = keyCache.get(secret);
  if (key === undefined) {
    const decoded = decodeSecret(secret);
    if (decoded === null) throw new TypeError('webhook secret must be "whsec_" followed by base64');
    if (keyCache.size >= KEY_CACHE_MAX) keyCache.clear();
    keyCache.set(secret, decoded);
    key = decoded;
  }
  return key;
}

function digest(key: Buffer, msgId: string, timestampS: number, body: string | Buffer): Buffer {
  const hmac = createHmac('sha256', key);
  hmac.update(`${msgId}.${timestampS}.`);
  hmac.update(body);
  return hmac.digest();
}

/** One signature: `v1,<base64 HMAC-SHA256(secret, "{msgId}.{timestampS}.{body}")>`. */
export function sign(secret: string, msgId: string, timestampS: number, body: string | Buffer): string {
  return `${SIGNATURE_VERSION},${digest(keyOf(secret), msgId, timestampS, body).toString('base64')}`;
}

/** The `webhook-signature` header value: one signature per secret, space-separated. */
export function signatureHeader(
  secrets: readonly string[],
  msgId: string,
  timestampS: number,
  body: string | Buffer,
): string {
  let out = '';
  for (const secret of secrets) {
    if (out !== '') out += ' ';
    out += sign(secret, msgId, timestampS, body);
  }
  return out;
}

export type VerifyFailureReason =
  'missing_header' | 'invalid_timestamp' | 'timestamp_too_old' | 'timestamp_in_future' | 'invalid_signature';

export type VerifyResult =
  { ok: true; msgId: string; timestampS: number } | { ok: false; reason: VerifyFailureReason };

export interface VerifyOptions {
  /** accepted clock difference either way, seconds (default 300) */
  toleranceS?: number;
  /** epoch milliseconds (default Date.now()) */
  now?: number;
}

export type HeaderBag = Record<string, string | string[] | undefined>;

function headerValue(headers: HeaderBag, name: string): string | undefined {
  let v = headers[name];
  if (v === undefined) {
    for (const key of Object.keys(headers)) {
      if (key.toLowerCase() === name) {
        v = headers[key];
        break;
      }
    }
  }
  return Array.isArray(v) ? v.join(' ') : v;
}

/**
 * Verifies a received message against one or more secrets. `headers` are `webhook-id`,
 * `webhook-timestamp` and `webhook-signature` (any case). Every signature of the header is compared
 * with every secret's in constant time; any match is enough.
 */
export function verify(
  body: string | Buffer,
  headers: HeaderBag,
  secrets: readonly string[],
  opts: VerifyOptions = {},
): VerifyResult {
  const msgId = headerValue(headers, 'webhook-id');
  const timestamp = headerValue(headers, 'webhook-timestamp');
  const signatures = headerValue(headers, 'webhook-signature');
  if (!msgId || !timestamp || !signatures) return { ok: false, reason: 'missing_header' };
  if (!/^\d{1,15}$/.test(timestamp)) return { ok: false, reason: 'invalid_timestamp' };
  const timestampS = Number(timestamp);
  const nowS = Math.floor((opts.now ?? Date.now()) / 1000);
  const tolerance = opts.toleranceS ?? DEFAULT_TOLERANCE_S;
  if (nowS - timestampS > tolerance) return { ok: false, reason: 'timestamp_too_old' };
  if (timestampS - nowS > tolerance) return { ok: false, reason: 'timestamp_in_future' };

  const received: Buffer[] = [];
  for (const entry of signatures.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== SIGNATURE_VERSION) continue;
    const sig = Buffer.from(entry.slice(comma + 1), 'base64');
    if (sig.length === HMAC_SHA256_BYTES) received.push(sig);
  }
  for (const secret of secrets) {
    const key = decodeSecret(secret);
    if (key === null) continue;
    const expected = digest(key, msgId, timestampS, body);
    for (const sig of received) {
      if (timingSafeEqual(expected, sig)) return { ok: true, msgId, timestampS };
    }
  }
  return { ok: false, reason: 'invalid_signature' };
}
