/**
 * Standard Webhooks signing: our signatures verify with the official `standardwebhooks` package and
 * with svix's `Webhook.verify`, on bodies received by a real node:http server; our `verify` accepts
 * theirs and rejects tampering, wrong secrets, stale and future timestamps with typed reasons.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import {
  generateSecret,
  isValidSecret,
  sign,
  signatureHeader,
  verify,
} from '../../src/signing/standard-webhooks.js';

interface Received {
  headers: IncomingHttpHeaders;
  body: Buffer;
}

let server: Server;
let port = 0;
const received: Received[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  port = typeof addr === 'object' && addr !== null ? addr.port : 0;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

/** POSTs `body` signed with `secrets` through a real socket; returns what the server received. */
async function deliver(
  secrets: string[],
  msgId: string,
  body: string | Buffer,
  timestampS: number,
): Promise<Received> {
  const before = received.length;
  await new Promise<void>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/',
        headers: {
          'content-type': 'application/json',
          'webhook-id': msgId,
          'webhook-timestamp': String(timestampS),
          'webhook-signature': signatureHeader(secrets, msgId, timestampS, body),
        },
      },
      (res) => {
        res.resume();
        res.on('end', resolve);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
  expect(received.length).toBe(before + 1);
  return received[received.length - 1]!;
}

function asSvixHeaders(h: IncomingHttpHeaders): Record<string, string> {
  return {
    'svix-id': String(h['webhook-id']),
    'svix-timestamp': String(h['webhook-timestamp']),
    'svix-signature': String(h['webhook-signature']),
  };
}

function plainHeaders(h: IncomingHttpHeaders): Record<string, string> {
  return {
    'webhook-id': String(h['webhook-id']),
    'webhook-timestamp': String(h['webhook-timestamp']),
    'webhook-signature': String(h['webhook-signature']),
  };
}

const nowS = () => Math.floor(Date.now() / 1000);

describe('secrets', () => {
  it('generates whsec_ + base64 of 32 random bytes, each different', () => {
    const a = generateSecret();
    const b = generateSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(a.slice(6), 'base64')).toHaveLength(32);
    expect(a).not.toBe(b);
    expect(isValidSecret(a)).toBe(true);
  });

  it('accepts 24–64 byte keys, padded or not, and rejects everything else', () => {
    const of = (n: number) => 'whsec_' + randomBytes(n).toString('base64');
    expect(isValidSecret(of(24))).toBe(true);
    expect(isValidSecret(of(64))).toBe(true);
    expect(isValidSecret(of(32).replace(/=+$/, ''))).toBe(true);
    expect(isValidSecret(of(23))).toBe(false);
    expect(isValidSecret(of(65))).toBe(false);
    expect(isValidSecret(randomBytes(32).toString('base64'))).toBe(false);
    // base64url's alphabet is not base64's
    expect(isValidSecret('whsec_' + 'A'.repeat(40) + '-_-_')).toBe(false);
    expect(isValidSecret('whsec_not base64 at all!!')).toBe(false);
    expect(isValidSecret('whsec_')).toBe(false);
    // a non-canonical last character (trailing bits set) is not the base64 of any key
    const canonical = of(32);
    const tampered = canonical.slice(0, -2) + (canonical.at(-2) === 'B' ? 'C' : 'B') + '=';
    expect(isValidSecret(tampered)).toBe(false);
  });

  it('refuses to sign with a malformed secret', () => {
    expect(() => sign('nope', 'msg', 1, 'x')).toThrow(/whsec_/);
  });
});

describe('signatures verified by the official packages, over a real HTTP hop', () => {
  it('standardwebhooks and svix verify a JSON body', async () => {
    const secret = generateSecret();
    const body = JSON.stringify({
      id: 'evt_1',
      type: 'user.created',
      timestamp: new Date().toISOString(),
      data: { ü: '✓' },
    });
    const got = await deliver([secret], 'evt_1', body, nowS());
    expect(got.body.toString('utf8')).toBe(body);

    expect(new StandardWebhook(secret).verify(got.body.toString('utf8'), plainHeaders(got.headers))).toEqual(
      JSON.parse(body),
    );
    expect(new SvixWebhook(secret).verify(got.body.toString('utf8'), asSvixHeaders(got.headers))).toEqual(
      JSON.parse(body),
    );
    expect(verify(got.body, got.headers, [secret])).toMatchObject({ ok: true, msgId: 'evt_1' });
  });

  it('a rotated pair: two signatures, each secret alone verifies', async () => {
    const oldSecret = generateSecret();
    const newSecret = generateSecret();
    const body = '{"id":"evt_2","type":"a.b","data":{}}';
    const got = await deliver([newSecret, oldSecret], 'evt_2', body, nowS());
    const sigs = String(got.headers['webhook-signature']).split(' ');
    expect(sigs).toHaveLength(2);
    for (const s of sigs) expect(s).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);

    for (const secret of [oldSecret, newSecret]) {
      expect(() => new StandardWebhook(secret).verify(body, plainHeaders(got.headers))).not.toThrow();
      expect(() => new SvixWebhook(secret).verify(body, asSvixHeaders(got.headers))).not.toThrow();
      expect(verify(got.body, got.headers, [secret]).ok).toBe(true);
    }
    const stranger = generateSecret();
    expect(() => new StandardWebhook(stranger).verify(body, plainHeaders(got.headers))).toThrow();
    expect(verify(got.body, got.headers, [stranger])).toEqual({ ok: false, reason: 'invalid_signature' });
  });

  it('raw non-JSON bytes are signed as bytes', async () => {
    const secret = generateSecret();
    const body = Buffer.concat([Buffer.from('payload='), randomBytes(64)]);
    const got = await deliver([secret], 'evt_raw', body, nowS());
    expect(got.body.equals(body)).toBe(true);
    expect(verify(got.body, got.headers, [secret]).ok).toBe(true);
    // string and Buffer forms of the same bytes sign identically
    expect(sign(secret, 'm', 5, 'abc')).toBe(sign(secret, 'm', 5, Buffer.from('abc')));
  });
});

describe('verify', () => {
  const secret = generateSecret();
  const body = '{"hello":"world"}';
  const at = 1_700_000_000;
  const headersAt = (ts: number) => ({
    'webhook-id': 'msg_1',
    'webhook-timestamp': String(ts),
    'webhook-signature': sign(secret, 'msg_1', ts, body),
  });

  it('accepts a signature made by the standardwebhooks package', () => {
    const theirs = new StandardWebhook(secret).sign('msg_9', new Date(at * 1000), body);
    const res = verify(
      body,
      { 'Webhook-Id': 'msg_9', 'Webhook-Timestamp': String(at), 'Webhook-Signature': theirs },
      [secret],
      { now: at * 1000 },
    );
    expect(res).toEqual({ ok: true, msgId: 'msg_9', timestampS: at });
  });

  it('rejects a tampered body, id or timestamp', () => {
    const h = headersAt(at);
    expect(verify(body, h, [secret], { now: at * 1000 }).ok).toBe(true);
    expect(verify(body + ' ', h, [secret], { now: at * 1000 })).toEqual({
      ok: false,
      reason: 'invalid_signature',
    });
    expect(verify(body, { ...h, 'webhook-id': 'msg_2' }, [secret], { now: at * 1000 })).toEqual({
      ok: false,
      reason: 'invalid_signature',
    });
    expect(verify(body, { ...h, 'webhook-timestamp': String(at + 1) }, [secret], { now: at * 1000 })).toEqual(
      {
        ok: false,
        reason: 'invalid_signature',
      },
    );
  });

  it('names the missing header and bad timestamps', () => {
    const h = headersAt(at);
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const) {
      const partial: Record<string, string> = { ...h };
      delete partial[name];
      expect(verify(body, partial, [secret], { now: at * 1000 })).toEqual({
        ok: false,
        reason: 'missing_header',
      });
    }
    expect(verify(body, { ...h, 'webhook-timestamp': '12abc' }, [secret], { now: at * 1000 })).toEqual({
      ok: false,
      reason: 'invalid_timestamp',
    });
  });

  it('enforces the tolerance both ways, with the injected clock', () => {
    const h = headersAt(at);
    expect(verify(body, h, [secret], { now: (at + 300) * 1000 }).ok).toBe(true);
    expect(verify(body, h, [secret], { now: (at + 301) * 1000 })).toEqual({
      ok: false,
      reason: 'timestamp_too_old',
    });
    expect(verify(body, h, [secret], { now: (at - 301) * 1000 })).toEqual({
      ok: false,
      reason: 'timestamp_in_future',
    });
    expect(verify(body, h, [secret], { now: (at + 3600) * 1000, toleranceS: 3600 }).ok).toBe(true);
  });

  it('finds a match anywhere in a list, ignoring other versions and garbage entries', () => {
    const good = sign(secret, 'msg_1', at, body);
    const header = `v2,${good.slice(3)} v1,short v1,${Buffer.alloc(32).toString('base64')} nonsense ${good}`;
    expect(
      verify(body, { ...headersAt(at), 'webhook-signature': header }, [secret], { now: at * 1000 }).ok,
    ).toBe(true);
    // the same digest under another version label is not accepted
    expect(
      verify(body, { ...headersAt(at), 'webhook-signature': `v2,${good.slice(3)}` }, [secret], {
        now: at * 1000,
      }),
    ).toEqual({ ok: false, reason: 'invalid_signature' });
  });

  it('tries every secret (rotation on the receiving side)', () => {
    const other = generateSecret();
    expect(verify(body, headersAt(at), [other, secret], { now: at * 1000 }).ok).toBe(true);
    expect(verify(body, headersAt(at), [other], { now: at * 1000 }).ok).toBe(false);
  });
});
