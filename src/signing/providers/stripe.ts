/**
 * Stripe: `Stripe-Signature: t=<unix s>,v1=<hex>,v1=<hex>,…` where each v1 is
 * HMAC-SHA256(endpoint secret, "{t}.{body}") in hex. Every v1 is tried (Stripe sends several while
 * an endpoint secret is rolled); v0 and unknown schemes are ignored.
 */
import {
  checkTimestamp,
  decodeSignature,
  fail,
  header,
  hmac,
  macEquals,
  OK,
  type HeaderBag,
  type InboundVerifyResult,
  type TimeWindow,
} from './common.js';

export function verifyStripe(
  body: Buffer,
  headers: HeaderBag,
  secret: string,
  window: TimeWindow,
): InboundVerifyResult {
  const value = header(headers, 'stripe-signature');
  if (value === undefined) return fail('missing_header');
  let timestamp: string | undefined;
  const signatures: Buffer[] = [];
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (k === 't') timestamp = v;
    else if (k === 'v1') {
      const sig = decodeSignature(v, 'hex');
      if (sig !== null) signatures.push(sig);
    }
  }
  if (timestamp === undefined || signatures.length === 0) return fail('missing_header');
  const time = checkTimestamp(timestamp, window);
  if (!time.ok) return time;
  const expected = hmac('sha256', secret, `${timestamp}.`, body);
  let match = false;
  // no early exit: every signature is compared, so timing does not tell which one matched
  for (const sig of signatures) match = macEquals(expected, sig) || match;
  return match ? OK : fail('invalid_signature');
}
