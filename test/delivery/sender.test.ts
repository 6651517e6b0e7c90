/**
 * The HTTP sender against real servers: the request a webhook receives (signed, verifiable by the
 * official package), custom headers that cannot override hooklane's, raw payload mode, the
 * per-webhook timeout over headers and body, redirects not followed, the 4 KiB response excerpt,
 * keep-alive reuse, and how failures are classified.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { generateSecret } from '../../src/signing/standard-webhooks.js';
import { HttpTransport, RESPONSE_BODY_LIMIT, activeSecrets } from '../../src/delivery/sender.js';
import { makeClaimed, makeWebhook, testServer, type Hit, type TestServer } from './fixtures.js';

let transport: HttpTransport;
const servers: TestServer[] = [];

beforeAll(() => {
  transport = new HttpTransport({ allowPrivateNetworks: true });
});
afterAll(async () => {
  await transport.destroy();
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(handle: Parameters<typeof testServer>[0]): Promise<TestServer> {
  const s = await testServer(handle);
  servers.push(s);
  return s;
}

const ok = (_hit: Hit, res: import('node:http').ServerResponse) => res.end('thanks');

function standardHeaders(h: Hit['headers']) {
  return {
    'webhook-id': String(h['webhook-id']),
    'webhook-timestamp': String(h['webhook-timestamp']),
    'webhook-signature': String(h['webhook-signature']),
  };
}

describe('the request a webhook receives', () => {
  it('carries the Standard Webhooks and hooklane headers, signed over the exact body', async () => {
    const srv = await serve(ok);
    const webhook = makeWebhook({ url: `${srv.url}/hooks?k=v` });
    const claimed = makeClaimed(webhook, { type: 'order.paid' }, 2);
    const now = Date.now();
    const { attempt } = await transport.send(claimed, 3, now);

    expect(srv.hits).toHaveLength(1);
    const hit = srv.hits[0]!;
    expect(hit.path).toBe('/hooks?k=v');
    expect(hit.body.toString('utf8')).toBe(claimed.event.payload);
    expect(hit.headers['content-type']).toBe('application/json');
    expect(hit.headers['webhook-id']).toBe(claimed.event.id);
    expect(hit.headers['webhook-timestamp']).toBe(String(Math.floor(now / 1000)));
    expect(hit.headers['x-hooklane-event-type']).toBe('order.paid');
    expect(hit.headers['x-hooklane-webhook-id']).toBe(webhook.id);
    expect(hit.headers['x-hooklane-attempt']).toBe('3');
    expect(hit.headers['x-hooklane-source-id']).toBeUndefined();
    const secret = webhook.secrets[0]!.secret;
    expect(
      new StandardWebhook(secret).verify(hit.body.toString('utf8'), standardHeaders(hit.headers)),
    ).toEqual(JSON.parse(claimed.event.payload));

    expect(attempt).toMatchObject({
      tenant_id: 'acme',
      delivery_id: claimed.delivery.id,
      event_id: claimed.event.id,
      webhook_id: webhook.id,
      attempt_number: 3,
      started_at: now,
      url: webhook.url,
      response_status: 200,
      response_body: 'thanks',
      error: null,
      error_class: null,
      succeeded: true,
    });
    expect(attempt.id).toMatch(/^att_/);
    expect(attempt.duration_ms).toBeGreaterThanOrEqual(1);
    // recorded headers are what was sent, minus the signature
    expect(attempt.request_headers['webhook-signature']).toBeUndefined();
    expect(attempt.request_headers['webhook-id']).toBe(claimed.event.id);
    expect(attempt.request_headers['x-hooklane-attempt']).toBe('3');
  });

  it('webhook-id stays the event id on every attempt; the timestamp is that of the attempt', async () => {
    const srv = await serve(ok);
    const claimed = makeClaimed(makeWebhook({ url: srv.url }));
    await transport.send(claimed, 1, 1_700_000_000_000);
    await transport.send(claimed, 2, 1_700_000_123_456);
    expect(srv.hits.map((h) => h.headers['webhook-id'])).toEqual([claimed.event.id, claimed.event.id]);
    expect(srv.hits.map((h) => h.headers['webhook-timestamp'])).toEqual(['1700000000', '1700000123']);
    expect(srv.hits.map((h) => h.headers['x-hooklane-attempt'])).toEqual(['1', '2']);
  });

  it('signs with the current secret and rotated ones still in their grace period', async () => {
    const srv = await serve(ok);
    const now = Date.now();
    const [current, rotated, expired] = [generateSecret(), generateSecret(), generateSecret()];
    const webhook = makeWebhook({
      url: srv.url,
      secrets: [
        { secret: current, expires_at: null },
        { secret: rotated, expires_at: now + 60_000 },
        { secret: expired, expires_at: now - 1 },
      ],
    });
    expect(activeSecrets(webhook.secrets, now)).toEqual([current, rotated]);
    await transport.send(makeClaimed(webhook), 1, now);
    const hit = srv.hits[0]!;
    expect(String(hit.headers['webhook-signature']).split(' ')).toHaveLength(2);
    const body = hit.body.toString('utf8');
    expect(() => new StandardWebhook(current).verify(body, standardHeaders(hit.headers))).not.toThrow();
    expect(() => new StandardWebhook(rotated).verify(body, standardHeaders(hit.headers))).not.toThrow();
    expect(() => new StandardWebhook(expired).verify(body, standardHeaders(hit.headers))).toThrow();
  });

  it('custom headers are sent but never override hooklane or signature headers', async () => {
    const srv = await serve(ok);
    const webhook = makeWebhook({
      url: srv.url,
      headers: {
        'X-Tenant-Tag': 'blue',
        Authorization: 'Bearer receiver-credential',
        'Webhook-Signature': 'v1,forged',
        'WEBHOOK-ID': 'forged-id',
        'webhook-timestamp': '1',
        'Content-Type': 'text/plain',
        'X-Hooklane-Attempt': '99',
        'x-hooklane-webhook-id': 'wh_forged',
      },
    });
    const claimed = makeClaimed(webhook);
    const { attempt } = await transport.send(claimed, 1, Date.now());
    const h = srv.hits[0]!.headers;
    expect(h['x-tenant-tag']).toBe('blue');
    expect(h['authorization']).toBe('Bearer receiver-credential');
    expect(h['webhook-id']).toBe(claimed.event.id);
    expect(h['content-type']).toBe('application/json');
    expect(h['x-hooklane-attempt']).toBe('1');
    expect(h['x-hooklane-webhook-id']).toBe(webhook.id);
    expect(String(h['webhook-signature'])).not.toContain('forged');
    expect(Number(h['webhook-timestamp'])).toBeGreaterThan(1);
    expect(() =>
      new StandardWebhook(webhook.secrets[0]!.secret).verify(
        srv.hits[0]!.body.toString(),
        standardHeaders(h),
      ),
    ).not.toThrow();
    // the receiver's credential is not copied into the attempt log
    expect(attempt.request_headers['authorization']).toBe('[redacted]');
    expect(attempt.request_headers['x-tenant-tag']).toBe('blue');
    expect(JSON.stringify(attempt)).not.toContain('receiver-credential');
  });

  it('raw payload mode sends the source bytes with their content type and the source id', async () => {
    const srv = await serve(ok);
    const raw = Buffer.from('amount=10&currency=eur&note=%E2%9C%93');
    const webhook = makeWebhook({ url: srv.url, payload_format: 'raw' });
    const claimed = makeClaimed(webhook, {
      raw_body: raw,
      raw_content_type: 'application/x-www-form-urlencoded',
      source_id: 'src_123',
    });
    await transport.send(claimed, 1, Date.now());
    const hit = srv.hits[0]!;
    expect(hit.body.equals(raw)).toBe(true);
    expect(hit.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(hit.headers['x-hooklane-source-id']).toBe('src_123');
    // standardwebhooks' verify() JSON-parses the payload, so check the signature over the raw bytes
    // with its sign() instead: same id, same timestamp, same bytes, same secret.
    const expected = new StandardWebhook(webhook.secrets[0]!.secret).sign(
      String(hit.headers['webhook-id']),
      new Date(Number(hit.headers['webhook-timestamp']) * 1000),
      hit.body.toString('utf8'),
    );
    expect(String(hit.headers['webhook-signature']).split(' ')).toContain(expected);
  });

  it('raw mode falls back to the envelope for events without raw bytes; envelope mode ignores raw bytes', async () => {
    const srv = await serve(ok);
    const rawWebhook = makeWebhook({ url: srv.url, payload_format: 'raw' });
    const plain = makeClaimed(rawWebhook);
    await transport.send(plain, 1, Date.now());
    expect(srv.hits[0]!.body.toString()).toBe(plain.event.payload);
    expect(srv.hits[0]!.headers['content-type']).toBe('application/json');

    const envelope = makeClaimed(makeWebhook({ url: srv.url }), {
      raw_body: Buffer.from('<xml/>'),
      raw_content_type: 'application/xml',
      source_id: 'src_1',
    });
    await transport.send(envelope, 1, Date.now());
    expect(srv.hits[1]!.body.toString()).toBe(envelope.event.payload);
    expect(srv.hits[1]!.headers['x-hooklane-source-id']).toBeUndefined();
  });
});

describe('answers and failures', () => {
  it('a receiver that never answers times out at the webhook timeout', async () => {
    const srv = await serve(() => {
      /* never answers */
    });
    const webhook = makeWebhook({ url: srv.url, timeout_ms: 300 });
    const started = Date.now();
    const { attempt } = await transport.send(makeClaimed(webhook), 1, started);
    const took = Date.now() - started;
    expect(srv.hits).toHaveLength(1);
    expect(attempt).toMatchObject({ response_status: null, error_class: 'timeout', succeeded: false });
    expect(attempt.error).toMatch(/300 ms/);
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(2000);
    expect(attempt.duration_ms).toBeGreaterThanOrEqual(290);
  });

  it('the timeout also covers a body that never ends', async () => {
    const srv = await serve((_hit, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
    });
    const webhook = makeWebhook({ url: srv.url, timeout_ms: 300 });
    const started = Date.now();
    const { attempt } = await transport.send(makeClaimed(webhook), 1, started);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(attempt.response_status).toBe(200);
    expect(attempt.error).toMatch(/body not complete within 300 ms/);
  });

  it('the timeout also covers connecting: a name that never resolves ends at the webhook timeout', async () => {
    // The connector's own timeout is 10 s; the attempt must end at the webhook's 300 ms.
    let lookups = 0;
    const hanging = new HttpTransport({
      allowPrivateNetworks: true,
      lookup: () => {
        lookups++;
        return new Promise(() => {});
      },
    });
    try {
      const webhook = makeWebhook({ url: 'http://never-resolves.test/hook', timeout_ms: 300 });
      const started = Date.now();
      const { attempt } = await hanging.send(makeClaimed(webhook), 1, started);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(lookups).toBe(1);
      expect(attempt).toMatchObject({ response_status: null, error_class: 'timeout', succeeded: false });
      expect(attempt.error).toMatch(/no answer within 300 ms/);
    } finally {
      await hanging.destroy();
    }
  });

  it('a connection that opens after the deadline sends nothing', async () => {
    const srv = await serve(ok);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const late = new HttpTransport({
      allowPrivateNetworks: true,
      lookup: async () => {
        await released;
        return [{ address: '127.0.0.1', family: 4 }];
      },
    });
    try {
      const webhook = makeWebhook({ url: srv.url.replace('127.0.0.1', 'late.test'), timeout_ms: 200 });
      const { attempt } = await late.send(makeClaimed(webhook), 1, Date.now());
      expect(attempt.error_class).toBe('timeout');
      release();
      await new Promise((r) => setTimeout(r, 300));
      expect(srv.hits).toHaveLength(0);
    } finally {
      await late.destroy();
    }
  });

  it('redirects are not followed: a 3xx is a failed attempt', async () => {
    const srv = await serve((hit, res) => {
      if (hit.path === '/moved') {
        res.writeHead(302, { location: '/target' });
        res.end();
      } else res.end('should not be reached');
    });
    const { attempt } = await transport.send(
      makeClaimed(makeWebhook({ url: `${srv.url}/moved` })),
      1,
      Date.now(),
    );
    expect(srv.hits.map((h) => h.path)).toEqual(['/moved']);
    expect(attempt).toMatchObject({ response_status: 302, error_class: 'redirect', succeeded: false });
  });

  it('keeps only the first 4 KiB of a large answer', async () => {
    const big = Buffer.alloc(1024 * 1024, 'x');
    big.write('START', 0);
    const srv = await serve((_hit, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(big);
    });
    const { attempt } = await transport.send(makeClaimed(makeWebhook({ url: srv.url })), 1, Date.now());
    expect(attempt.response_status).toBe(500);
    expect(attempt.error_class).toBe('5xx');
    expect(attempt.response_body).toHaveLength(RESPONSE_BODY_LIMIT);
    expect(attempt.response_body!.startsWith('STARTxxx')).toBe(true);
  });

  it('reuses one keep-alive connection for answers of a few KiB', async () => {
    const srv = await serve((_hit, res) => res.end(Buffer.alloc(10_000, 'y')));
    const webhook = makeWebhook({ url: srv.url });
    for (let i = 0; i < 20; i++) {
      const { attempt } = await transport.send(makeClaimed(webhook), 1, Date.now());
      expect(attempt.response_body).toHaveLength(RESPONSE_BODY_LIMIT);
    }
    expect(srv.hits).toHaveLength(20);
    // undici (7.x, Node 20) replaces the very first connection of an origin once, whatever the
    // answer; a bare undici Agent against a bare node:http server does the same. After that one
    // connection carries every request: 20 sends, at most 2 connections, not 20.
    expect(srv.connections).toBeLessThanOrEqual(2);
  });

  it('passes Retry-After on and classifies statuses', async () => {
    const statuses = [429, 410, 404, 503, 204];
    let i = 0;
    const srv = await serve((_hit, res) => {
      const status = statuses[i++]!;
      res.writeHead(status, status === 429 || status === 503 ? { 'retry-after': '7' } : {});
      res.end();
    });
    const webhook = makeWebhook({ url: srv.url });
    const got = [];
    for (let n = 0; n < statuses.length; n++)
      got.push(await transport.send(makeClaimed(webhook), 1, Date.now()));
    expect(got.map((r) => [r.attempt.response_status, r.attempt.error_class, r.retryAfter])).toEqual([
      [429, '4xx', '7'],
      [410, '4xx', undefined],
      [404, '4xx', undefined],
      [503, '5xx', '7'],
      [204, null, undefined],
    ]);
    expect(got.map((r) => r.attempt.succeeded)).toEqual([false, false, false, false, true]);
  });

  it('a refused connection is a connect error', async () => {
    const srv = await serve(ok);
    const url = srv.url;
    await srv.close();
    servers.splice(servers.indexOf(srv), 1);
    const { attempt } = await transport.send(makeClaimed(makeWebhook({ url })), 1, Date.now());
    expect(attempt).toMatchObject({ response_status: null, error_class: 'connect', succeeded: false });
    expect(attempt.error).toMatch(/ECONNREFUSED/);
  });

  it('a blocked destination is refused before connecting', async () => {
    const srv = await serve(ok);
    const guarded = new HttpTransport({ allowPrivateNetworks: false });
    try {
      const { attempt } = await guarded.send(makeClaimed(makeWebhook({ url: srv.url })), 1, Date.now());
      expect(attempt).toMatchObject({ response_status: null, error_class: 'blocked', succeeded: false });
      expect(attempt.error).toMatch(/loopback/);
      expect(srv.hits).toHaveLength(0);
    } finally {
      await guarded.destroy();
    }
  });
});
