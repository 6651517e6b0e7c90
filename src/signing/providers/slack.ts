/**
 * Slack: `X-Slack-Signature: v0=<hex HMAC-SHA256(signing secret, "v0:{timestamp}:{body}")>` with
 * `X-Slack-Request-Timestamp: <unix s>`, checked against the tolerance window.
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

const VERSION = 'v0';

export function verifySlack(
  body: Buffer,
  headers: HeaderBag,
  secret: string,
  window: TimeWindow,
): InboundVerifyResult {
  const timestamp = header(headers, 'x-slack-request-timestamp');
  const value = header(headers, 'x-slack-signature');
  if (timestamp === undefined || value === undefined) return fail('missing_header');
  const time = checkTimestamp(timestamp, window);
  if (!time.ok) return time;
  const expected = hmac('sha256', secret, `${VERSION}:${timestamp.trim()}:`, body);
  let match = false;
  for (const part of value.split(',')) {
    const v = part.trim();
    if (!v.startsWith(`${VERSION}=`)) continue;
    const sig = decodeSignature(v.slice(VERSION.length + 1), 'hex');
    if (sig !== null) match = macEquals(expected, sig) || match;
  }
  return match ? OK : fail('invalid_signature');
}
