/**
 * /metrics on a real server (in-process startServer: API + dispatcher on a SQLite file) delivering to
 * a real receiver: the exposition parses strictly and its values move with the work done. The same
 * run's logs (the production logger, captured) carry request ids and never a secret.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/index.js';
import { createLogger, startServer, type RunningServer } from '../../src/server.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { waitFor } from '../helpers/wait.js';
import { parsePrometheusText, sampleValue, type Family } from './prometheus-text.js';

const ADMIN_KEY = 'hl_metrics_test_admin_key_0123456789';

describe('metrics and logs', () => {
  let dir: string;
  let server: RunningServer;
  let receiver: Receiver;
  const logLines: string[] = [];
  const secrets: string[] = [ADMIN_KEY];
  const requestIds: string[] = [];

  async function call(method: string, path: string, body?: unknown, key: string | null = ADMIN_KEY) {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        ...(key === null ? {} : { authorization: `Bearer ${key}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const id = res.headers.get('x-request-id');
    if (id !== null) requestIds.push(id);
    const text = await res.text();
    let json: any = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
    return { status: res.status, text, json, headers: res.headers };
  }

  async function scrape(): Promise<Map<string, Family>> {
    const res = await call('GET', '/metrics');
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parsePrometheusText(res.text);
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hl-metrics-'));
    receiver = await startReceiver();
    receiver.on('/fail', { statuses: [500] });
    const config = resolveConfig(
      {},
      {
        HOOKLANE_ADMIN_KEY: ADMIN_KEY,
        HOOKLANE_DATABASE_URL: `sqlite:${join(dir, 'hl.db')}`,
        HOOKLANE_PORT: '0',
        HOOKLANE_ALLOW_PRIVATE_NETWORKS: 'true',
        HOOKLANE_LOG_LEVEL: 'debug',
      },
    );
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    server = await startServer(config, { logger: createLogger(config, sink), printAdminKey: false });
  });

  afterAll(async () => {
    await server?.close();
    await receiver?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('needs the admin key', async () => {
    expect((await call('GET', '/metrics', undefined, null)).status).toBe(401);
    await call('POST', '/v1/tenants', { id: 'm-other', name: 'other' });
    const key = await call('POST', '/v1/tenants/m-other/api-keys', { role: 'admin' });
    secrets.push(key.json.key);
    expect((await call('GET', '/metrics', undefined, key.json.key)).status).toBe(403);
  });

  it('parses strictly and moves with ingest, deliveries, attempts and the queue', async () => {
    const before = await scrape();
    for (const name of [
      'hooklane_events_ingested_total',
      'hooklane_deliveries_created_total',
      'hooklane_delivery_attempts_total',
      'hooklane_delivery_attempt_duration_seconds',
      'hooklane_delivery_latency_seconds',
      'hooklane_dispatcher_in_flight',
      'hooklane_http_requests_total',
      'hooklane_http_request_duration_seconds',
      'hooklane_queue_deliveries',
      'hooklane_queue_oldest_due_age_seconds',
      'hooklane_db_pool_connections',
    ]) {
      expect(before.has(name), name).toBe(true);
    }
    expect(before.get('hooklane_delivery_attempt_duration_seconds')!.type).toBe('histogram');
    expect(before.get('hooklane_queue_deliveries')!.type).toBe('gauge');
    expect(sampleValue(before, 'hooklane_db_pool_connections', { state: 'size' })).toBe(1);

    expect((await call('POST', '/v1/tenants', { id: 'm', name: 'Metrics' })).status).toBe(201);
    const ok = await call('POST', '/v1/tenants/m/webhooks', { url: `${receiver.url}/ok`, events: ['ok.*'] });
    const bad = await call('POST', '/v1/tenants/m/webhooks', {
      url: `${receiver.url}/fail`,
      events: ['bad.*'],
      retry_policy: { max_attempts: 1 },
    });
    expect(ok.status, ok.text).toBe(201);
    expect(bad.status, bad.text).toBe(201);
    secrets.push(ok.json.secret, bad.json.secret);
    const revealed = await call('GET', `/v1/tenants/m/webhooks/${ok.json.id}/secret`);
    expect(revealed.json.secret).toBe(ok.json.secret);
    const rotated = await call('POST', `/v1/tenants/m/webhooks/${ok.json.id}/secret/rotate`, {});
    secrets.push(rotated.json.secret);
    const key = await call('POST', '/v1/tenants/m/api-keys', { role: 'editor', name: 'ci' });
    secrets.push(key.json.key);

    for (let i = 0; i < 3; i++) {
      expect(
        (await call('POST', '/v1/tenants/m/events', { type: 'ok.done', data: { i } }, key.json.key)).status,
      ).toBe(202);
    }
    expect((await call('POST', '/v1/tenants/m/events', { type: 'bad.done', data: {} })).status).toBe(202);
    await waitFor(async () => {
      const d = await call('GET', '/v1/tenants/m/deliveries?limit=10');
      return (
        d.json.data.length === 4 &&
        d.json.data.every((x: any) => x.status === 'succeeded' || x.status === 'failed')
      );
    });

    // a paused webhook keeps its delivery pending and due: the queue gauges show it
    const paused = await call('POST', '/v1/tenants/m/webhooks', {
      url: `${receiver.url}/p`,
      events: ['wait.*'],
      paused: true,
    });
    expect(paused.status, paused.text).toBe(201);
    expect((await call('POST', '/v1/tenants/m/events', { type: 'wait.x', data: {} })).status).toBe(202);

    const after = await waitFor(async () => {
      const m = await scrape();
      return sampleValue(m, 'hooklane_delivery_attempts_total', { outcome: 'failed', error_class: '5xx' }) >=
        1
        ? m
        : null;
    });
    const delta = (name: string, labels: Record<string, string> = {}) =>
      sampleValue(after, name, labels) - sampleValue(before, name, labels);
    expect(delta('hooklane_events_ingested_total', { origin: 'api' })).toBe(5);
    expect(delta('hooklane_deliveries_created_total')).toBe(5);
    expect(delta('hooklane_delivery_attempts_total', { outcome: 'succeeded', error_class: 'none' })).toBe(3);
    expect(delta('hooklane_delivery_attempts_total', { outcome: 'failed', error_class: '5xx' })).toBe(1);
    expect(delta('hooklane_delivery_attempt_duration_seconds_count')).toBe(4);
    expect(delta('hooklane_delivery_latency_seconds_count')).toBe(3);
    expect(
      delta('hooklane_http_request_duration_seconds_count', {
        method: 'POST',
        route: '/v1/tenants/:tenant/events',
      }),
    ).toBe(5);
    expect(sampleValue(after, 'hooklane_queue_deliveries', { state: 'pending' })).toBe(1);
    expect(sampleValue(after, 'hooklane_queue_deliveries', { state: 'delivering' })).toBe(0);
    expect(sampleValue(after, 'hooklane_queue_oldest_due_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(sampleValue(after, 'hooklane_dispatcher_in_flight')).toBe(0);
    expect(receiver.received('/ok')).toHaveLength(3);
  });

  it('logs carry request ids and never a key or a webhook secret', async () => {
    // a refused request is logged (debug) with its id
    const refused = await call('GET', '/v1/tenants/m/webhooks', undefined, 'hl_not_a_real_key_0000000000');
    expect(refused.status).toBe(401);
    secrets.push('hl_not_a_real_key_0000000000');
    await waitFor(() => logLines.some((l) => l.includes(refused.headers.get('x-request-id')!)));
    const parsed = logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const withIds = new Set(parsed.map((l) => l.reqId).filter((x) => typeof x === 'string'));
    expect(requestIds.filter((id) => withIds.has(id)).length).toBeGreaterThan(requestIds.length / 2);
    const all = logLines.join('\n');
    expect(secrets.length).toBeGreaterThanOrEqual(7);
    for (const s of secrets) {
      expect(all.includes(s), `a secret (${s.slice(0, 8)}…) appears in the logs`).toBe(false);
      // nor its base64 body alone
      expect(all.includes(s.replace(/^whsec_/, ''))).toBe(false);
    }
    expect(parsed.some((l) => l.msg === 'request completed')).toBe(true);
  });
});
