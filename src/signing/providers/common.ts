/**
 * What every provider verifier shares: case-insensitive header lookup, HMAC over raw bytes,
 * constant-time comparison, and the timestamp window. Pure: no I/O, no JSON parsing, the clock is
 * an argument.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type HeaderBag = Record<string, string | string[] | undefined>;

export type InboundFailureReason =
  | 'missing_header'
  | 'invalid_timestamp'
  | 'timestamp_too_old'
  | 'timestamp_in_future'
  | 'invalid_signature'
  | 'invalid_credentials';

export type InboundVerifyResult = { ok: true } | { ok: false; reason: InboundFailureReason };

export interface TimeWindow {
  /** epoch milliseconds */
  now: number;
  /** accepted clock difference either way, seconds */
  toleranceS: number;
}

export const OK: InboundVerifyResult = Object.freeze({ ok: true });

export function fail(reason: InboundFailureReason): InboundVerifyResult {
  return { ok: false, reason };
}

/** A header's value, any case; repeated headers are joined with `,` as HTTP folds them. */
export function header(headers: HeaderBag, name: string): string | undefined {
  const lower = name.toLowerCase();
  let v = headers[lower];
  if (v === undefined) {
    for (const key of Object.keys(headers)) {
      if (key.toLowerCase() === lower) {
        v = headers[key];
        break;
      }
    }
  }
  const s = Array.isArray(v) ? v.join(',') : v;
  return s === undefined || s === '' ? undefined : s;
}

export type HmacAlgorithm = 'sha1' | 'sha256' | 'sha512';

export function hmac(algorithm: HmacAlgorithm, key: string | Buffer, ...parts: (string | Buffer)[]): Buffer {
  const h = createHmac(algorithm, key);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** Constant-time equality of a computed MAC and a received one (lengths are public). */
export function macEquals(expected: Buffer, received: Buffer): boolean {
  return expected.length === received.length && timingSafeEqual(expected, received);
}

/**
 * Constant-time equality of two secrets of any length: compares their SHA-256 digests, so neither
 * the content nor the length of the expected value leaks through timing.
 */
export function secretEquals(expected: string, received: string): boolean {
  const a = createHash('sha256').update(expected, 'utf8').digest();
  const b = createHash('sha256').update(received, 'utf8').digest();
  return timingSafeEqual(a, b);
}

const HEX = /^[0-9a-fA-F]+$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** A hex or base64 signature as bytes, or null when it is not well-formed. */
export function decodeSignature(value: string, encoding: 'hex' | 'base64'): Buffer | null {
  if (encoding === 'hex') return HEX.test(value) && value.length % 2 === 0 ? Buffer.from(value, 'hex') : null;
  return BASE64.test(value) ? Buffer.from(value, 'base64') : null;
}

/**
 * Checks a provider timestamp against the window. Seconds since the epoch; a value of 13 or more
 * digits is taken as milliseconds (some generic senders use them).
 */
export function checkTimestamp(raw: string, window: TimeWindow): InboundVerifyResult {
  if (!/^\d{1,16}$/.test(raw.trim())) return fail('invalid_timestamp');
  const n = Number(raw.trim());
  const seconds = raw.trim().length >= 13 ? Math.floor(n / 1000) : n;
  const nowS = Math.floor(window.now / 1000);
  if (nowS - seconds > window.toleranceS) return fail('timestamp_too_old');
  if (seconds - nowS > window.toleranceS) return fail('timestamp_in_future');
  return OK;
}
