/**
 * Shopify: `X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256(app client secret, body)>`. No timestamp:
 * replays are caught by the X-Shopify-Webhook-Id dedupe.
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

export function verifyShopify(body: Buffer, headers: HeaderBag, secret: string): InboundVerifyResult {
  const value = header(headers, 'x-shopify-hmac-sha256');
  if (value === undefined) return fail('missing_header');
  const sig = decodeSignature(value.trim(), 'base64');
  if (sig === null) return fail('invalid_signature');
  return macEquals(hmac('sha256', secret, body), sig) ? OK : fail('invalid_signature');
}
