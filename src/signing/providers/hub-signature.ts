/**
 * GitHub and Meta (WhatsApp Cloud API, Instagram, Messenger) sign the same way:
 * `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>`. No timestamp: replays are caught by
 * the delivery-id dedupe instead (GitHub's X-GitHub-Delivery; for Meta, the body's hash).
 */
import {
  decodeSignature,
  fail,
  header,
  hmac,
  macEquals,
  OK,
  type HeaderBag,
  type InboundVerifyResult,
} from './common.js';

const PREFIX = 'sha256=';

export function verifyHubSignature256(body: Buffer, headers: HeaderBag, secret: string): InboundVerifyResult {
  const value = header(headers, 'x-hub-signature-256');
  if (value === undefined) return fail('missing_header');
  const expected = hmac('sha256', secret, body);
  let match = false;
  for (const part of value.split(',')) {
    const v = part.trim();
    if (!v.startsWith(PREFIX)) continue;
    const sig = decodeSignature(v.slice(PREFIX.length), 'hex');
    if (sig !== null) match = macEquals(expected, sig) || match;
  }
  return match ? OK : fail('invalid_signature');
}
