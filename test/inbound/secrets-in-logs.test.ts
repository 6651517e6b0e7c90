/**
 * Source secrets and URL tokens never reach the logs. Every log line of the API (the receiver
 * included) is captured at `trace` level with NO redaction configured, over accepted, replayed,
 * refused, oversized and rate-limited requests, handshakes and the sources API itself.
 */
import { Writable } from 'node:stream';
import { createHmac } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startApi, tenantWithKeys, type ApiHarness } from '../api/harness.js';

const lines: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    lines.push(chunk.toString('utf8'));
    done();
  },
});
let api: ApiHarness;
let base: string;

beforeAll(async () => {
  api = await startApi({ logger: pino({ level: 'trace' }, sink) });
  await api.app.listen({ port: 0, host: '127.0.0.1' });
  const addr = api.app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`;
  await tenantWithKeys(api, 'acme');
});
afterAll(async () => api?.close());

it('no log line holds a source secret, credential, verify token or URL token', async () => {
  const secrets = {
    github: 'gh-SECRET-aaaaaaaaaaaa',
    meta: 'meta-SECRET-bbbbbbbbbbbb',
    verify: 'meta-VERIFY-cccccccccccc',
    password: 'basic-PASSWORD-dddddddd',
    key: 'apikey-KEY-eeeeeeeeeeee',
  };
  const make = async (verification: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
    const res = await api.call('POST', '/v1/tenants/acme/sources', {
      body: { name: 's', verification, ...extra },
    });
    expect(res.status, res.text).toBe(201);
    return { id: res.body.id as string, url: res.body.url as string, path: new URL(res.body.url).pathname };
  };
  const gh = await make(
    { type: 'github', secret: secrets.github },
    { max_body_bytes: 64, rate_limit_per_s: 0.01 },
  );
  const meta = await make({ type: 'meta', secret: secrets.meta, verify_token: secrets.verify });
  const basic = await make({ type: 'basic', username: 'u', password: secrets.password });
  const key = await make({ type: 'api_key', key: secrets.key });
  const tokens = [gh, meta, basic, key].map((s) => s.path.slice('/in/'.length));

  const send = (path: string, init: RequestInit) => fetch(base + path, init).then((r) => r.text());
  const body = '{"zen":"x"}';
  const sig = `sha256=${createHmac('sha256', secrets.github).update(body).digest('hex')}`;
  const ghHeaders = {
    'content-type': 'application/json',
    'x-github-event': 'ping',
    'x-github-delivery': 'd1',
  };
  await send(gh.path, { method: 'POST', headers: { ...ghHeaders, 'x-hub-signature-256': sig }, body });
  await send(gh.path, { method: 'POST', headers: { ...ghHeaders, 'x-hub-signature-256': sig }, body });
  await send(gh.path, {
    method: 'POST',
    headers: { ...ghHeaders, 'x-hub-signature-256': 'sha256=00' },
    body: 'x'.repeat(100),
  });
  await send(meta.path + `?hub.mode=subscribe&hub.verify_token=${secrets.verify}&hub.challenge=1`, {
    method: 'GET',
  });
  await send(meta.path + '?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1', { method: 'GET' });
  const auth = `Basic ${Buffer.from(`u:${secrets.password}`).toString('base64')}`;
  await send(basic.path, { method: 'POST', headers: { authorization: auth }, body: 'a=1' });
  await send(basic.path, {
    method: 'POST',
    headers: { authorization: 'Basic d3Jvbmc6d3Jvbmc=' },
    body: 'a=2',
  });
  await send(key.path, {
    method: 'POST',
    headers: { 'x-api-key': secrets.key, 'content-type': 'application/json' },
    body: '{"a":',
  });
  await send(key.path, { method: 'POST', headers: { 'x-api-key': secrets.key }, body: 'ok' });
  for (const s of [gh, meta, basic, key]) {
    await api.call('GET', `/v1/tenants/acme/sources/${s.id}`);
    await api.call('GET', `/v1/tenants/acme/sources/${s.id}/requests`);
    await api.call('PATCH', `/v1/tenants/acme/sources/${s.id}`, { body: { name: 'renamed' } });
  }
  await api.call('POST', `/v1/tenants/acme/sources/${gh.id}/rotate-url`);

  expect(lines.length).toBeGreaterThan(10);
  const all = lines.join('');
  expect(all).toContain('/in/[redacted]');
  for (const secret of [...Object.values(secrets), ...tokens, auth.slice('Basic '.length)]) {
    expect(all.includes(secret), `a log line contains ${secret.slice(0, 12)}…`).toBe(false);
  }
});
