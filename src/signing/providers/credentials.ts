/**
 * Senders that authenticate with a shared credential instead of a signature: HTTP Basic, or a key
 * in a header. Both are compared in constant time over digests (see secretEquals).
 */
import { fail, header, OK, secretEquals, type HeaderBag, type InboundVerifyResult } from './common.js';

export function verifyBasic(headers: HeaderBag, username: string, password: string): InboundVerifyResult {
  const value = header(headers, 'authorization');
  if (value === undefined) return fail('missing_header');
  const m = /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(value);
  if (m === null) return fail('invalid_credentials');
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return fail('invalid_credentials');
  // both compared, always: no early exit on a wrong user name
  const userOk = secretEquals(username, decoded.slice(0, colon));
  const passOk = secretEquals(password, decoded.slice(colon + 1));
  return userOk && passOk ? OK : fail('invalid_credentials');
}

/** `header: key`; when the header is Authorization, `Bearer <key>` is accepted too. */
export function verifyApiKey(headers: HeaderBag, name: string, key: string): InboundVerifyResult {
  let value = header(headers, name);
  if (value === undefined) return fail('missing_header');
  if (name.toLowerCase() === 'authorization') value = value.replace(/^bearer\s+/i, '');
  return secretEquals(key, value.trim()) ? OK : fail('invalid_credentials');
}
