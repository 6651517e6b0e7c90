/**
 * verifyWebhook against signatures made by the reference `standardwebhooks` package, so the SDK
 * verifies what any Standard Webhooks sender produces, not only what our own signer does.
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import {
  verifyWebhook,
  verifyWebhookSignature,
  WebhookVerificationError,
  type WebhookVerificationReason,
} from '../../src/sdk/index.js';

const newSecret = () => 'whsec_' + randomBytes(32).toString('base64');

const SECRET = newSecret();
const NOW_MS = Date.UTC(2026, 10, 22, 12, 0, 0);
const NOW_S = NOW_MS / 1000;

const event = {
  id: 'evt_1',
  type: 'user.created',
  timestamp: '2026-11-22T12:00:00.000Z',
  data: { email: 'a@b.c' },
};
const BODY = JSON.stringify(event);

/** headers as the reference implementation signs them, for a message sent at `atS` */
function signed(body: string, secret = SECRET, atS = NOW_S, msgId = 'evt_1') {
  const signature = new Webhook(secret).sign(msgId, new Date(atS * 1000), body);
  return { 'webhook-id': msgId, 'webhook-timestamp': String(atS), 'webhook-signature': signature };
}

function reasonOf(fn: () => unknown): WebhookVerificationReason {
  try {
    fn();
  } catch (e) {
    if (e instanceof WebhookVerificationError) return e.reason;
    throw e;
  }
  throw new Error('expected a WebhookVerificationError, but verification passed');
}

describe('verifyWebhook', () => {
  it('accepts a signature from the standardwebhooks package and returns the parsed event', () => {
    const got = verifyWebhook<{ email: string }>(BODY, signed(BODY), SECRET, { now: NOW_MS });
    expect(got).toEqual(event);
    expect(got.data.email).toBe('a@b.c');
  });

  it('accepts the body as a Buffer or Uint8Array and fetch Headers', () => {
    const headers = signed(BODY);
    const bytes = Buffer.from(BODY);
    expect(verifyWebhook(bytes, headers, SECRET, { now: NOW_MS })).toEqual(event);
    expect(
      verifyWebhook(new Uint8Array(bytes), new Headers(headers), SECRET, { now: new Date(NOW_MS) }),
    ).toEqual(event);
  });

  it('reads header names in any case, as Node and proxies may deliver them', () => {
    const h = signed(BODY);
    const upper = {
      'Webhook-Id': h['webhook-id'],
      'WEBHOOK-TIMESTAMP': h['webhook-timestamp'],
      'Webhook-Signature': h['webhook-signature'],
    };
    expect(verifyWebhook(BODY, upper, SECRET, { now: NOW_MS })).toEqual(event);
  });

  it('accepts a secret without the whsec_ prefix, as the reference library does', () => {
    expect(verifyWebhook(BODY, signed(BODY), SECRET.slice('whsec_'.length), { now: NOW_MS })).toEqual(event);
  });

  it('rejects a tampered body', () => {
    const headers = signed(BODY);
    const tampered = BODY.replace('a@b.c', 'x@b.c');
    expect(reasonOf(() => verifyWebhook(tampered, headers, SECRET, { now: NOW_MS }))).toBe(
      'invalid_signature',
    );
  });

  it('rejects a tampered webhook-id (it is part of the signed content)', () => {
    const headers = { ...signed(BODY), 'webhook-id': 'evt_2' };
    expect(reasonOf(() => verifyWebhook(BODY, headers, SECRET, { now: NOW_MS }))).toBe('invalid_signature');
  });

  it('rejects the wrong secret', () => {
    expect(reasonOf(() => verifyWebhook(BODY, signed(BODY), newSecret(), { now: NOW_MS }))).toBe(
      'invalid_signature',
    );
  });

  it('rejects a stale timestamp, and a future one, beyond the tolerance', () => {
    const old = signed(BODY, SECRET, NOW_S - 301);
    expect(reasonOf(() => verifyWebhook(BODY, old, SECRET, { now: NOW_MS }))).toBe('timestamp_too_old');
    const future = signed(BODY, SECRET, NOW_S + 301);
    expect(reasonOf(() => verifyWebhook(BODY, future, SECRET, { now: NOW_MS }))).toBe('timestamp_in_future');
    // within the default 300 s either way: accepted
    expect(verifyWebhook(BODY, signed(BODY, SECRET, NOW_S - 299), SECRET, { now: NOW_MS })).toEqual(event);
    expect(verifyWebhook(BODY, signed(BODY, SECRET, NOW_S + 299), SECRET, { now: NOW_MS })).toEqual(event);
  });

  it('honours a custom tolerance', () => {
    const headers = signed(BODY, SECRET, NOW_S - 20);
    expect(reasonOf(() => verifyWebhook(BODY, headers, SECRET, { now: NOW_MS, toleranceS: 10 }))).toBe(
      'timestamp_too_old',
    );
    expect(verifyWebhook(BODY, headers, SECRET, { now: NOW_MS, toleranceS: 30 })).toEqual(event);
  });

  it('uses the real clock when no time is given', () => {
    const nowS = Math.floor(Date.now() / 1000);
    expect(verifyWebhook(BODY, signed(BODY, SECRET, nowS), SECRET)).toEqual(event);
    expect(reasonOf(() => verifyWebhook(BODY, signed(BODY, SECRET, nowS - 3600), SECRET))).toBe(
      'timestamp_too_old',
    );
  });

  it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const)(
    'rejects a missing %s header',
    (name) => {
      const headers: Record<string, string> = signed(BODY);
      delete headers[name];
      const err = (() => {
        try {
          verifyWebhook(BODY, headers, SECRET, { now: NOW_MS });
        } catch (e) {
          return e as WebhookVerificationError;
        }
        throw new Error('verification passed without ' + name);
      })();
      expect(err.reason).toBe('missing_header');
      expect(err.status).toBe(400);
    },
  );

  it('rejects a timestamp header that is not unix seconds as a malformed header', () => {
    const headers = { ...signed(BODY), 'webhook-timestamp': '2026-11-22T12:00:00Z' };
    expect(reasonOf(() => verifyWebhook(BODY, headers, SECRET, { now: NOW_MS }))).toBe('missing_header');
  });

  it('accepts any signature of a rotated list, and any of several secrets', () => {
    const oldSecret = newSecret();
    const newer = newSecret();
    const sigOld = signed(BODY, oldSecret)['webhook-signature'];
    const sigNew = signed(BODY, newer)['webhook-signature'];
    // the sender signs with both during a rotation's grace period: a receiver with either secret accepts
    const headers = { ...signed(BODY), 'webhook-signature': `${sigOld} ${sigNew}` };
    expect(verifyWebhook(BODY, headers, oldSecret, { now: NOW_MS })).toEqual(event);
    expect(verifyWebhook(BODY, headers, newer, { now: NOW_MS })).toEqual(event);
    // the receiver holds both secrets while it switches over: a message signed with either is accepted
    expect(verifyWebhook(BODY, signed(BODY, newer), [oldSecret, newer], { now: NOW_MS })).toEqual(event);
    expect(verifyWebhook(BODY, signed(BODY, oldSecret), [oldSecret, newer], { now: NOW_MS })).toEqual(event);
    expect(reasonOf(() => verifyWebhook(BODY, headers, [SECRET, newSecret()], { now: NOW_MS }))).toBe(
      'invalid_signature',
    );
  });

  it('ignores signatures of unknown versions', () => {
    const real = signed(BODY)['webhook-signature'];
    const v2 = { ...signed(BODY), 'webhook-signature': real.replace(/^v1,/, 'v2,') };
    expect(reasonOf(() => verifyWebhook(BODY, v2, SECRET, { now: NOW_MS }))).toBe('invalid_signature');
  });

  it('rejects a correctly signed body that is not JSON or not an event with invalid_payload', () => {
    expect(reasonOf(() => verifyWebhook('not json', signed('not json'), SECRET, { now: NOW_MS }))).toBe(
      'invalid_payload',
    );
    const array = '[1,2]';
    expect(reasonOf(() => verifyWebhook(array, signed(array), SECRET, { now: NOW_MS }))).toBe(
      'invalid_payload',
    );
    // but the signature alone can be checked for raw-format payloads
    expect(verifyWebhookSignature('not json', signed('not json'), SECRET, { now: NOW_MS })).toEqual({
      id: 'evt_1',
      timestampS: NOW_S,
    });
  });

  it('refuses a malformed secret or an already-parsed body as a programming error, not a bad request', () => {
    expect(() => verifyWebhook(BODY, signed(BODY), 'whsec_short', { now: NOW_MS })).toThrow(TypeError);
    expect(() => verifyWebhook(BODY, signed(BODY), [], { now: NOW_MS })).toThrow(TypeError);
    expect(() => verifyWebhook(event as unknown as string, signed(BODY), SECRET, { now: NOW_MS })).toThrow(
      /raw/,
    );
  });

  it('gives 401 for untrusted requests and 400 for malformed ones', () => {
    const statusOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return (e as WebhookVerificationError).status;
      }
      return 200;
    };
    expect(statusOf(() => verifyWebhook(BODY, signed(BODY), newSecret(), { now: NOW_MS }))).toBe(401);
    expect(statusOf(() => verifyWebhook(BODY, signed(BODY, SECRET, 0), SECRET, { now: NOW_MS }))).toBe(401);
    expect(statusOf(() => verifyWebhook('x', signed('x'), SECRET, { now: NOW_MS }))).toBe(400);
  });
});
