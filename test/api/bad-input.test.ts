/**
 * Bad input on the outbound routes: malformed JSON, wrong content types, oversized bodies, invalid
 * and private URLs, bad names and ids, out-of-range settings, bad queries. Every one is a 4xx
 * problem+json document (never a 5xx), nothing is echoed that could be a secret, and the server
 * keeps answering.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, startApi, type ApiHarness, type ApiResponse } from './harness.js';

const BODY_LIMIT = 64 * 1024;

describe('bad input', () => {
  let api: ApiHarness;
  const seen: ApiResponse[] = [];
  const call = async (...args: Parameters<ApiHarness['call']>) => {
    const res = await api.call(...args);
    seen.push(res);
    return res;
  };

  beforeAll(async () => {
    api = await startApi({ env: { HOOKLANE_BODY_LIMIT_BYTES: String(BODY_LIMIT) } });
    expect((await api.call('POST', '/v1/tenants', { body: { id: 'bad', name: 'Bad' } })).status).toBe(201);
  });
  afterAll(async () => {
    await api.close();
  });

  it('malformed JSON is 400 invalid_json', async () => {
    for (const raw of ['{"type":', '{type: "a"}', '', 'null', '[1,2', '\u0000']) {
      const res = await call('POST', '/v1/tenants/bad/events', {
        raw,
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status, `${JSON.stringify(raw)} → ${res.text}`).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
    }
    expectProblem(
      await call('POST', '/v1/tenants/bad/events', {
        raw: '{"type":',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      'invalid_json',
    );
  });

  it('a body that is not JSON is 415', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const res = await call('POST', '/v1/tenants/bad/events', {
        raw: 'type=a.b&data=1',
        headers: { 'content-type': type },
      });
      expectProblem(res, 415, 'unsupported_media_type');
    }
  });

  it('a body over the limit is 413', async () => {
    const res = await call('POST', '/v1/tenants/bad/events', {
      body: { type: 'a.b', data: { blob: 'x'.repeat(BODY_LIMIT * 2) } },
    });
    expectProblem(res, 413, 'body_too_large');
  });

  it('deeply nested JSON is 400 (it used to overflow the stack: a 500)', async () => {
    const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const deep = nested(20_000);
    const cases: [string, string, string][] = [
      ['POST', '/v1/tenants/bad/events', `{"type":"a.b","data":${deep}}`],
      ['POST', '/v1/tenants/bad/events', `{"type":"a.b","data":{"x":${nested(64)}}}`],
      ['PATCH', '/v1/tenants/bad', `{"metadata":{"x":${deep}}}`],
      ['PUT', '/v1/event-types/deep.schema', `{"schema":{"x":${deep}}}`],
    ];
    for (const [method, url, raw] of cases) {
      expect(raw.length).toBeLessThan(BODY_LIMIT);
      const res = await call(method, url, { raw, headers: { 'content-type': 'application/json' } });
      expectProblem(res, 400, 'validation_failed');
      expect(res.text).toMatch(/nest/);
    }
    // 64 levels are fine
    const ok = await call('POST', '/v1/tenants/bad/events', {
      raw: `{"type":"a.b","data":${nested(64)}}`,
      headers: { 'content-type': 'application/json' },
    });
    expect(ok.status, ok.text).toBe(202);
  });

  it('invalid and private webhook URLs are 400 url_not_allowed, naming no credentials', async () => {
    const urls = [
      'not a url',
      'ftp://example.com/x',
      'javascript:alert(1)',
      'http://user:hunter2-password@example.com/',
      'http://127.0.0.1/',
      'http://127.1/',
      'http://2130706433/',
      'http://0x7f.0.0.1/',
      'http://0177.0.0.1/',
      'http://0.0.0.0/',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://[::ffff:7f00:1]/',
      'http://localhost:8080/',
      'http://api.localhost/',
      'http://LOCALHOST./',
      'http://10.1.2.3/',
      'http://172.16.0.1/',
      'http://192.168.1.1/',
      'http://100.64.0.1/',
      'http://169.254.169.254/latest/meta-data/',
      'http://[fd00:ec2::254]/',
      'http://[fe80::1]/',
      'http://[fc00::1]/',
      'http://224.0.0.1/',
      'http://[ff02::1]/',
      'http://[64:ff9b::7f00:1]/',
      'http://does-not-exist.invalid/',
    ];
    for (const url of urls) {
      const res = await call('POST', '/v1/tenants/bad/webhooks', { body: { url } });
      expect(res.status, `${url} → ${res.text}`).toBe(400);
      expectProblem(res, 400);
      expect(['url_not_allowed', 'validation_failed']).toContain(res.body.code);
      expect(res.text).not.toContain('hunter2-password');
    }
    // and the same on update
    const ok = await call('POST', '/v1/tenants/bad/webhooks', {
      body: { url: 'https://93.184.215.14/hooks' },
    });
    expect(ok.status, ok.text).toBe(201);
    const patched = await call('PATCH', `/v1/tenants/bad/webhooks/${ok.body.id}`, {
      body: { url: 'http://127.0.0.1:9/' },
    });
    expectProblem(patched, 400, 'url_not_allowed');
  });

  it('bad names, ids and settings are 400 validation_failed with the failing paths', async () => {
    const cases: [string, string, unknown, string][] = [
      ['POST', '/v1/tenants', { id: 'has space', name: 'x' }, 'id'],
      ['POST', '/v1/tenants', { id: 'x'.repeat(65), name: 'x' }, 'id'],
      ['POST', '/v1/tenants', { name: 42 }, 'name'],
      ['POST', '/v1/tenants/bad/events', { id: 'bad id/with slash', type: 'a.b', data: 1 }, 'id'],
      ['POST', '/v1/tenants/bad/events', { type: '', data: 1 }, 'type'],
      ['POST', '/v1/tenants/bad/events', { type: 'a.b' }, 'data'],
      ['POST', '/v1/tenants/bad/events', { type: 'a.b', data: 1, extra: true }, ''],
      ['POST', '/v1/tenants/bad/webhooks', { url: 'https://93.184.215.14/', timeout_ms: -1 }, 'timeout_ms'],
      [
        'POST',
        '/v1/tenants/bad/webhooks',
        { url: 'https://93.184.215.14/', max_in_flight: 0 },
        'max_in_flight',
      ],
      [
        'POST',
        '/v1/tenants/bad/webhooks',
        { url: 'https://93.184.215.14/', retry_policy: { max_attempts: 0 } },
        'retry_policy',
      ],
      ['POST', '/v1/tenants/bad/webhooks', { url: 'https://93.184.215.14/', events: [] }, 'events'],
      ['POST', '/v1/tenants/bad/webhooks', { url: 'https://93.184.215.14/', events: ['a b'] }, 'events'],
      ['POST', '/v1/tenants/bad/api-keys', { role: 'owner' }, 'role'],
      ['PUT', '/v1/event-types/not%20a%20name', {}, ''],
      ['PUT', '/v1/event-types/good.name', { schema: { type: 'no-such-type' } }, 'schema'],
    ];
    for (const [method, url, body, path] of cases) {
      const res = await call(method, url, { body });
      expect(res.status, `${method} ${url} ${JSON.stringify(body)} → ${res.text}`).toBe(400);
      expectProblem(res, 400);
      if (path !== '') {
        const paths = (res.body.errors ?? []).map((e: { path: string }) => e.path);
        expect(
          paths.some((p: string) => p === path || p.startsWith(`${path}.`) || p.startsWith(`${path}[`)),
          res.text,
        ).toBe(true);
      }
    }
  });

  it('a malformed secret is refused without being echoed', async () => {
    const secret = 'whsec_THIS-IS-NOT-BASE64-but-a-secret-anyway!!';
    const res = await call('POST', '/v1/tenants/bad/webhooks', {
      body: { url: 'https://93.184.215.14/', secret },
    });
    expectProblem(res, 400);
    expect(res.text).not.toContain('THIS-IS-NOT-BASE64');
  });

  it('bad queries are 400', async () => {
    for (const q of [
      '/v1/tenants/bad/events?limit=0',
      '/v1/tenants/bad/events?limit=251',
      '/v1/tenants/bad/events?limit=abc',
      '/v1/tenants/bad/events?cursor=%%%garbage',
      '/v1/tenants/bad/events?since=yesterday',
      '/v1/tenants/bad/deliveries?status=lost',
      '/v1/tenants/bad/webhooks?cursor=bm9wZQ',
    ]) {
      const res = await call('GET', q);
      expect(res.status, `${q} → ${res.text}`).toBe(400);
      expectProblem(res, 400);
    }
  });

  it('never answered 5xx, and still serves', async () => {
    expect(seen.length).toBeGreaterThan(40);
    for (const res of seen) expect(res.status, res.text).toBeLessThan(500);
    expect((await api.call('GET', '/health')).status).toBe(200);
    expect((await api.call('GET', '/v1/tenants/bad')).status).toBe(200);
  });
});
