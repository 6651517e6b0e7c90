/**
 * The pure pieces of the gateway, with edge cases the HTTP tests do not reach: every signature of
 * a multi-signature header is tried, malformed signatures and timestamps are refusals (never
 * exceptions), the window's edges, credential comparison, and the body helpers (JSON Pointer,
 * event type names, dedupe keys).
 */
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dedupeKeyOf, eventTypeOf, jsonPointer, parseBody } from '../../src/inbound/body.js';
import {
  checkTimestamp,
  signedContent,
  verifyApiKey,
  verifyBasic,
  verifyGenericHmac,
  verifyHubSignature256,
  verifyShopify,
  verifySlack,
  verifyStripe,
  type GenericHmacConfig,
} from '../../src/signing/providers/index.js';

const NOW = Date.parse('2026-11-22T12:00:00.000Z');
const NOW_S = NOW / 1000;
const W = { now: NOW, toleranceS: 300 };
const body = Buffer.from('{"hello":"wörld"}');
const hex = (alg: string, key: string, ...parts: (string | Buffer)[]) => {
  const h = createHmac(alg, key);
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

describe('timestamps', () => {
  it('accepts the edges of the window and refuses one second beyond', () => {
    expect(checkTimestamp(String(NOW_S - 300), W)).toEqual({ ok: true });
    expect(checkTimestamp(String(NOW_S + 300), W)).toEqual({ ok: true });
    expect(checkTimestamp(String(NOW_S - 301), W)).toEqual({ ok: false, reason: 'timestamp_too_old' });
    expect(checkTimestamp(String(NOW_S + 301), W)).toEqual({ ok: false, reason: 'timestamp_in_future' });
  });
  it('reads 13-digit timestamps as milliseconds and refuses what is not a number', () => {
    expect(checkTimestamp(String(NOW), W)).toEqual({ ok: true });
    expect(checkTimestamp(String(NOW - 301_000), W)).toEqual({ ok: false, reason: 'timestamp_too_old' });
    for (const bad of ['abc', '-5', '1e9', '', '12.5'])
      expect(checkTimestamp(bad, W)).toEqual({ ok: false, reason: 'invalid_timestamp' });
  });
});

describe('stripe', () => {
  const secret = 'whsec_test';
  const good = hex('sha256', secret, `${NOW_S}.`, body);
  it('tries every v1 signature of the header', () => {
    const header = `t=${NOW_S},v1=${'0'.repeat(64)},v0=${good},v1=${good}`;
    expect(verifyStripe(body, { 'Stripe-Signature': header }, secret, W)).toEqual({ ok: true });
  });
  it('refuses a header with no v1 (v0 alone is not accepted), malformed or truncated signatures', () => {
    expect(verifyStripe(body, { 'stripe-signature': `t=${NOW_S},v0=${good}` }, secret, W)).toMatchObject({
      reason: 'missing_header',
    });
    expect(verifyStripe(body, { 'stripe-signature': `t=${NOW_S},v1=zz` }, secret, W)).toMatchObject({
      reason: 'missing_header',
    });
    expect(
      verifyStripe(body, { 'stripe-signature': `t=${NOW_S},v1=${good.slice(2)}` }, secret, W),
    ).toMatchObject({
      reason: 'invalid_signature',
    });
    expect(verifyStripe(body, { 'stripe-signature': `v1=${good}` }, secret, W)).toMatchObject({
      reason: 'missing_header',
    });
  });
});

describe('GitHub / Meta, Shopify, Slack', () => {
  it('checks sha256= hex over the body; other prefixes and bad hex are refusals', () => {
    const sig = hex('sha256', 's', body);
    expect(verifyHubSignature256(body, { 'x-hub-signature-256': `sha256=${sig}` }, 's')).toEqual({
      ok: true,
    });
    expect(verifyHubSignature256(body, { 'x-hub-signature-256': `sha1=${sig}` }, 's')).toMatchObject({
      ok: false,
    });
    expect(verifyHubSignature256(body, { 'x-hub-signature-256': 'sha256=xyz' }, 's')).toMatchObject({
      ok: false,
    });
    expect(
      verifyHubSignature256(
        Buffer.from('{"hello":"world"}'),
        { 'x-hub-signature-256': `sha256=${sig}` },
        's',
      ),
    ).toMatchObject({
      reason: 'invalid_signature',
    });
  });
  it('Shopify: base64 of the HMAC; not base64 is a refusal', () => {
    const sig = createHmac('sha256', 'k').update(body).digest('base64');
    expect(verifyShopify(body, { 'x-shopify-hmac-sha256': sig }, 'k')).toEqual({ ok: true });
    expect(verifyShopify(body, { 'x-shopify-hmac-sha256': '%%%' }, 'k')).toMatchObject({
      reason: 'invalid_signature',
    });
  });
  it('Slack: v0 over v0:{ts}:{body}; the timestamp is part of what is signed', () => {
    const sig = `v0=${hex('sha256', 'k', `v0:${NOW_S}:`, body)}`;
    const h = { 'x-slack-request-timestamp': String(NOW_S), 'x-slack-signature': sig };
    expect(verifySlack(body, h, 'k', W)).toEqual({ ok: true });
    expect(verifySlack(body, { ...h, 'x-slack-request-timestamp': String(NOW_S + 1) }, 'k', W)).toMatchObject(
      {
        reason: 'invalid_signature',
      },
    );
  });
});

describe('generic HMAC', () => {
  const base: GenericHmacConfig = {
    secret: 'shh',
    header: 'X-Signature',
    algorithm: 'sha256',
    encoding: 'hex',
    prefix: null,
    timestamp_header: null,
    signed_content: '{body}',
  };
  it('fills the template with the raw body bytes and the timestamp', () => {
    expect(Buffer.concat(signedContent('v1:{timestamp}:{body}:end', body, '42'))).toEqual(
      Buffer.concat([Buffer.from('v1:42:'), body, Buffer.from(':end')]),
    );
  });
  it('accepts any of several signatures, comma or space separated, with the prefix', () => {
    const cfg = { ...base, algorithm: 'sha1' as const, prefix: 'sha1=' };
    const sig = hex('sha1', 'shh', body);
    const header = `sha1=${'ab'.repeat(20)}, sha256=${sig} sha1=${sig}`;
    expect(verifyGenericHmac(body, { 'x-signature': header }, cfg, W)).toEqual({ ok: true });
    // without the prefix the same signature does not count
    expect(verifyGenericHmac(body, { 'x-signature': sig }, cfg, W)).toMatchObject({
      reason: 'invalid_signature',
    });
  });
  it('signs and checks the timestamp when a timestamp header is configured', () => {
    const cfg = {
      ...base,
      algorithm: 'sha512' as const,
      encoding: 'base64' as const,
      timestamp_header: 'x-ts',
      signed_content: '{timestamp}.{body}',
    };
    const sig = createHmac('sha512', 'shh').update(`${NOW}.`).update(body).digest('base64');
    expect(verifyGenericHmac(body, { 'x-signature': sig, 'x-ts': String(NOW) }, cfg, W)).toEqual({
      ok: true,
    });
    expect(verifyGenericHmac(body, { 'x-signature': sig }, cfg, W)).toMatchObject({
      reason: 'missing_header',
    });
    expect(verifyGenericHmac(body, { 'x-signature': sig, 'x-ts': String(NOW + 1) }, cfg, W)).toMatchObject({
      reason: 'invalid_signature',
    });
    expect(
      verifyGenericHmac(body, { 'x-signature': sig, 'x-ts': String(NOW - 400_000) }, cfg, W),
    ).toMatchObject({
      reason: 'timestamp_too_old',
    });
  });
});

describe('credentials', () => {
  const basic = (u: string, p: string) => ({
    authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`,
  });
  it('basic: both user and password must match; passwords may contain colons', () => {
    expect(verifyBasic(basic('u', 'p:w'), 'u', 'p:w')).toEqual({ ok: true });
    expect(verifyBasic(basic('x', 'p:w'), 'u', 'p:w')).toMatchObject({ reason: 'invalid_credentials' });
    expect(verifyBasic(basic('u', 'p'), 'u', 'p:w')).toMatchObject({ reason: 'invalid_credentials' });
    expect(verifyBasic({ authorization: 'Bearer abc' }, 'u', 'p')).toMatchObject({
      reason: 'invalid_credentials',
    });
    expect(verifyBasic({}, 'u', 'p')).toMatchObject({ reason: 'missing_header' });
  });
  it('api key: exact match, any length; Bearer form on Authorization', () => {
    expect(verifyApiKey({ 'x-key': 'k1' }, 'x-key', 'k1')).toEqual({ ok: true });
    expect(verifyApiKey({ 'x-key': 'k1-and-more' }, 'x-key', 'k1')).toMatchObject({ ok: false });
    expect(verifyApiKey({ authorization: 'Bearer k1' }, 'authorization', 'k1')).toEqual({ ok: true });
  });
});

describe('body helpers', () => {
  it('JSON Pointer follows RFC 6901 escapes and array indexes', () => {
    const doc = { 'a/b': { 'm~n': [10, { x: 'y' }] } };
    expect(jsonPointer(doc, '/a~1b/m~0n/1/x')).toBe('y');
    expect(jsonPointer(doc, '/a~1b/m~0n/01')).toBeUndefined();
    expect(jsonPointer(doc, '/missing/x')).toBeUndefined();
    expect(jsonPointer({ o: Object.create(null) }, '/o/toString')).toBeUndefined();
    expect(jsonPointer({}, '/__proto__')).toBeUndefined();
  });
  it('event type names are made valid, or fall back to {prefix}unknown', () => {
    const h = { 'x-topic': 'orders/create', 'x-odd': 'a b!c', 'x-dots': '..' };
    expect(eventTypeOf({ from_header: 'x-topic', prefix: 'shopify.' }, h, null)).toBe(
      'shopify.orders.create',
    );
    expect(eventTypeOf({ from_header: 'x-odd' }, h, null)).toBe('a_b_c');
    expect(eventTypeOf({ from_header: 'x-dots', prefix: 'p.' }, h, null)).toBe('p.unknown');
    expect(eventTypeOf({ from_json_pointer: '/n' }, {}, { n: 7 })).toBe('7');
    expect(eventTypeOf({ from_json_pointer: '/n' }, {}, { n: { deep: 1 } })).toBe('source.unknown');
    expect(eventTypeOf({ from_json_pointer: '/t' }, {}, { t: 'x'.repeat(200) })).toBe('source.unknown');
  });
  it('dedupe keys: the delivery id when found (hashed when long), else the body hash', () => {
    const raw = Buffer.from('abc');
    expect(dedupeKeyOf({ header: 'x-id' }, { 'x-id': 'd1' }, null, raw)).toBe('id:d1');
    expect(dedupeKeyOf({ header: 'x-id' }, {}, null, raw)).toBe(
      `body:${createHash('sha256').update(raw).digest('hex')}`,
    );
    expect(dedupeKeyOf({ json_pointer: '/id' }, {}, { id: 'x'.repeat(300) }, raw)).toMatch(
      /^idh:[0-9a-f]{64}$/,
    );
    expect(dedupeKeyOf(null, {}, null, raw)).toMatch(/^body:/);
  });
  it('form bodies keep repeated fields; empty bodies are null', () => {
    expect(parseBody(Buffer.from('a=1&a=2&a=3&b='), 'form')).toEqual({ a: ['1', '2', '3'], b: '' });
    expect(parseBody(Buffer.alloc(0), 'json')).toBeNull();
  });
});
