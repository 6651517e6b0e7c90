/**
 * Any HMAC sender (a WhatsApp API service posting session events, an internal system): the
 * signature header, algorithm, encoding, an optional prefix (`sha256=`) and, optionally, a
 * timestamp header and the template of what is signed (`{timestamp}.{body}`) are configured.
 * A header may carry several signatures separated by commas or spaces; any match is enough.
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
  type HmacAlgorithm,
  type InboundVerifyResult,
  type TimeWindow,
} from './common.js';

export interface GenericHmacConfig {
  secret: string;
  header: string;
  algorithm: HmacAlgorithm;
  encoding: 'hex' | 'base64';
  prefix: string | null;
  timestamp_header: string | null;
  /** `{body}` and `{timestamp}` are replaced; anything else is signed literally */
  signed_content: string;
}

/** The signed bytes: the template with `{timestamp}` and `{body}` filled in, the body as raw bytes. */
export function signedContent(template: string, body: Buffer, timestamp: string): Buffer[] {
  const parts: Buffer[] = [];
  const pieces = template.split('{body}');
  pieces.forEach((piece, i) => {
    if (i > 0) parts.push(body);
    if (piece !== '') parts.push(Buffer.from(piece.split('{timestamp}').join(timestamp), 'utf8'));
  });
  return parts;
}

export function verifyGenericHmac(
  body: Buffer,
  headers: HeaderBag,
  config: GenericHmacConfig,
  window: TimeWindow,
): InboundVerifyResult {
  const value = header(headers, config.header);
  if (value === undefined) return fail('missing_header');
  let timestamp = '';
  if (config.timestamp_header !== null) {
    const t = header(headers, config.timestamp_header);
    if (t === undefined) return fail('missing_header');
    const time = checkTimestamp(t, window);
    if (!time.ok) return time;
    timestamp = t.trim();
  }
  const expected = hmac(
    config.algorithm,
    config.secret,
    ...signedContent(config.signed_content, body, timestamp),
  );
  let match = false;
  for (const token of value.split(/[\s,]+/)) {
    if (token === '') continue;
    let v = token;
    if (config.prefix !== null && config.prefix !== '') {
      if (!v.startsWith(config.prefix)) continue;
      v = v.slice(config.prefix.length);
    }
    const sig = decodeSignature(v, config.encoding);
    if (sig !== null) match = macEquals(expected, sig) || match;
  }
  return match ? OK : fail('invalid_signature');
}
