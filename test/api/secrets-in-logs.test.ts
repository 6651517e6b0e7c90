/**
 * Secrets never reach the logs or error bodies. Every log line of the API and the dispatcher is
 * captured at `trace` level with NO redaction configured, so the test proves the code never hands a
 * secret to the logger at all (production's redaction is only a second net): keys, webhook signing
 * secrets (current and rotated), receivers' custom credentials, over successful, failing,
 * timing-out, refused and 410 deliveries and over rejected requests.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Dispatcher } from '../../src/delivery/dispatcher.js';
import { Metrics } from '../../src/metrics/index.js';
import { waitFor } from '../helpers/wait.js';
import { testServer, type TestServer } from '../delivery/fixtures.js';
import { ADMIN_KEY, startApi, type ApiHarness } from './harness.js';

describe('secrets in logs and error bodies', () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = pino({ level: 'trace' }, sink);
  let api: ApiHarness;
  let dispatcher: Dispatcher;
  let receiver: TestServer;
  const bodies: string[] = [];

  beforeAll(async () => {
    receiver = await testServer((hit, res) => {
      if (hit.path === '/ok') return res.end('ok');
      if (hit.path === '/fail') {
        res.statusCode = 500;
        return res.end('no');
      }
      if (hit.path === '/gone') {
        res.statusCode = 410;
        return res.end();
      }
      // /hang never answers
    });
    api = await startApi({ logger, env: { HOOKLANE_ALLOW_PRIVATE_NETWORKS: 'true' } });
    dispatcher = new Dispatcher({
      store: api.store,
      clock: { now: () => Date.now() },
      logger,
      metrics: new Metrics({ defaultMetrics: false }),
      workerId: 'secrets-test',
      concurrency: 16,
      claimBatchSize: 16,
      pollIntervalMs: 25,
      leaseMarginMs: 1000,
      allowPrivateNetworks: true,
    });
    dispatcher.start();
  });
  afterAll(async () => {
    await dispatcher.stop(0);
    await api.close();
    await receiver.close();
  });

  it('keys, signing secrets and custom credentials appear in no log line and no error body', async () => {
    const call = async (...args: Parameters<ApiHarness['call']>) => {
      const res = await api.call(...args);
      bodies.push(res.text);
      return res;
    };
    await call('POST', '/v1/tenants', { body: { id: 'sec', name: 'Sec' } });
    const key = (await call('POST', '/v1/tenants/sec/api-keys', { body: { role: 'admin' } })).body
      .key as string;
    expect(key).toEqual(expect.any(String));

    const supplied = `whsec_${Buffer.from('a-very-private-signing-key-123456').toString('base64')}`;
    const custom = 'Bearer receiver-credential-7f3a9c';
    const secrets = [ADMIN_KEY, key, supplied, custom.slice(7)];
    const hooks: string[] = [];
    for (const path of ['/ok', '/fail', '/gone', '/hang']) {
      const res = await call('POST', '/v1/tenants/sec/webhooks', {
        key,
        body: {
          url: `${receiver.url}${path}`,
          headers: { Authorization: custom },
          timeout_ms: 300,
          retry_policy: { max_attempts: 2, initial_delay_ms: 10, backoff_multiplier: 1, max_delay_ms: 10 },
          ...(path === '/ok' ? { secret: supplied } : {}),
        },
      });
      expect(res.status, res.text).toBe(201);
      secrets.push(res.body.secret);
      hooks.push(res.body.id);
    }
    const rotated = await call('POST', `/v1/tenants/sec/webhooks/${hooks[0]}/secret/rotate`, {
      key,
      body: {},
    });
    expect(rotated.status).toBe(200);
    secrets.push(rotated.body.secret);

    // rejected requests carrying secrets
    await call('GET', '/v1/tenants/sec', { key: 'hl_wrong_key_but_secret_looking_0001' });
    secrets.push('hl_wrong_key_but_secret_looking_0001');
    const badSecret = 'whsec_not*base64*but*private*0002';
    const refused = await call('POST', '/v1/tenants/sec/webhooks', {
      key,
      body: { url: `${receiver.url}/ok`, secret: badSecret },
    });
    expect(refused.status).toBe(400);
    secrets.push(badSecret);
    const reused = await call('POST', `/v1/tenants/sec/webhooks/${hooks[0]}/secret/rotate`, {
      key,
      body: { secret: rotated.body.secret },
    });
    expect(reused.status).toBe(400);

    // deliveries: success, failure, 410, timeout
    const ev = await call('POST', '/v1/tenants/sec/events', { key, body: { type: 'a.b', data: { n: 1 } } });
    expect(ev.status).toBe(202);
    await waitFor(async () => {
      const page = await api.store.deliveries.list('sec', { event_id: ev.body.id }, { limit: 10 });
      return (
        page.data.length === 4 && page.data.every((d) => d.status === 'succeeded' || d.status === 'failed')
      );
    });
    expect(lines.some((l) => /disabling webhook/.test(l))).toBe(true);
    expect(lines.length).toBeGreaterThan(20);

    const logText = lines.join('');
    const bodyText = bodies.join('\n');
    for (const s of secrets) {
      expect(s.length).toBeGreaterThan(10);
      // the whole secret, and its key material without the prefix
      for (const needle of [s, s.replace(/^whsec_/, '').slice(0, 24)]) {
        expect(logText.includes(needle), `log contains ${needle.slice(0, 10)}…`).toBe(false);
      }
    }
    // error bodies: only the responses that hand out a secret by design may contain one
    const errorBodies = bodies.filter((b) => b.includes('urn:hooklane:problem'));
    expect(errorBodies.length).toBeGreaterThanOrEqual(3);
    for (const s of secrets) for (const b of errorBodies) expect(b.includes(s)).toBe(false);
    expect(bodyText.length).toBeGreaterThan(0);
  });
});
