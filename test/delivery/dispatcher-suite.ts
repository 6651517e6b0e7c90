/**
 * The dispatcher suite, run on every engine (dispatcher.test.ts: SQLite; dispatcher.postgres.test.ts:
 * PostgreSQL). The dispatcher end to end inside one process: a real SQLite store, real HTTP receivers on
 * 127.0.0.1, and (where time matters) a clock the test holds still and moves. Covers API.md's
 * outcome rules (2xx, no redirects, 410, Retry-After, exponential backoff with jitter until
 * `failed`), the attempt log, per-webhook limits, no head-of-line blocking, fairness between a
 * retry backlog and first attempts, waking on commit, lease expiry after a crash, signing during a
 * secret rotation, and the connect-time egress guard.
 */
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { buildEvent, EventIngestor } from '../../src/ingest/events.js';
import { Metrics } from '../../src/metrics/index.js';
import { generateSecret } from '../../src/signing/standard-webhooks.js';
import type { RetryPolicy } from '../../src/domain/types.js';
import type { Completion } from '../../src/store/types.js';
import { waitFor } from '../helpers/wait.js';
import { testServer, type Hit, type TestServer } from './fixtures.js';
import { ManualClock, TENANT, startRig, type Engine, type Rig, type RigOptions } from './rig.js';

let engine: Engine = 'sqlite';
const servers: TestServer[] = [];
let rig: Rig | null = null;

afterEach(async () => {
  await rig?.close();
  rig = null;
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(handle: (hit: Hit, res: ServerResponse) => void): Promise<TestServer> {
  const s = await testServer(handle);
  servers.push(s);
  return s;
}

async function rigWith(opts: RigOptions = {}): Promise<Rig> {
  rig = await startRig({ engine, ...opts });
  return rig;
}

const hitsTo = (srv: TestServer, path: string) => srv.hits.filter((h) => h.path === path);

function signed(h: Hit['headers']) {
  return {
    'webhook-id': String(h['webhook-id']),
    'webhook-timestamp': String(h['webhook-timestamp']),
    'webhook-signature': String(h['webhook-signature']),
  };
}

function svixSigned(h: Hit['headers']) {
  return {
    'svix-id': String(h['webhook-id']),
    'svix-timestamp': String(h['webhook-timestamp']),
    'svix-signature': String(h['webhook-signature']),
  };
}

async function statusOf(r: Rig, eventId: string, webhookId: string, status: string, attempts?: number) {
  let last = '';
  return waitFor(
    async () => {
      const d = await r.deliveryOf(eventId, webhookId);
      last = JSON.stringify(d);
      return d.status === status && (attempts === undefined || d.attempts === attempts) ? d : null;
    },
    {
      message: () =>
        `delivery of ${eventId} to ${webhookId} to be ${status} after ${attempts ?? 'any'} attempts; last seen ${last}`,
    },
  );
}

const fastPolicy = (p: Partial<RetryPolicy> = {}): RetryPolicy => ({
  max_attempts: 5,
  initial_delay_ms: 50,
  backoff_multiplier: 2,
  max_delay_ms: 60_000,
  ...p,
});

export function dispatcherSuite(on: Engine): void {
  engine = on;
  describe('outcomes', () => {
    it('2xx: succeeded after one attempt, recorded with headers minus secrets, status, excerpt, duration', async () => {
      const srv = await serve((_h, res) => res.end('thanks'));
      const r = await rigWith();
      const wh = await r.webhook({
        url: `${srv.url}/ok`,
        headers: { authorization: 'Bearer receiver-token-123', 'x-plain': 'v' },
      });
      r.start();
      const [id] = await r.send('user.created');
      const d = await statusOf(r, id!, wh.id, 'succeeded', 1);
      expect(d.last_status_code).toBe(200);

      const attempts = await r.attempts(d.id);
      expect(attempts).toHaveLength(1);
      const a = attempts[0]!;
      expect(a).toMatchObject({
        attempt_number: 1,
        response_status: 200,
        response_body: 'thanks',
        error: null,
        error_class: null,
        succeeded: true,
        url: wh.url,
      });
      expect(a.duration_ms).toBeGreaterThanOrEqual(1);
      expect(a.request_headers).toMatchObject({
        'webhook-id': id,
        'x-hooklane-attempt': '1',
        'x-hooklane-webhook-id': wh.id,
        'x-plain': 'v',
        authorization: '[redacted]',
      });
      expect(a.request_headers['webhook-signature']).toBeUndefined();
      const stored = JSON.stringify(a);
      expect(stored).not.toContain(wh.secrets[0]!.secret.slice(6));
      expect(stored).not.toContain('receiver-token-123');

      // what arrived is signed, verifiable by both official libraries
      const hit = srv.hits[0]!;
      expect(hit.headers.authorization).toBe('Bearer receiver-token-123');
      const body = hit.body.toString('utf8');
      expect(new StandardWebhook(wh.secrets[0]!.secret).verify(body, signed(hit.headers))).toMatchObject({
        id,
      });
      expect(new SvixWebhook(wh.secrets[0]!.secret).verify(body, svixSigned(hit.headers))).toMatchObject({
        id,
      });
    });

    it('redirects are not followed: the 3xx is a failed attempt and the target is never called', async () => {
      let base = '';
      const srv = await serve((hit, res) => {
        if (hit.path === '/moved') {
          res.writeHead(307, { location: `${base}/target` });
          res.end();
        } else res.end('ok');
      });
      base = srv.url;
      const r = await rigWith();
      const wh = await r.webhook({ url: `${srv.url}/moved`, retry_policy: fastPolicy({ max_attempts: 1 }) });
      r.start();
      const [id] = await r.send('a.b');
      const d = await statusOf(r, id!, wh.id, 'failed', 1);
      const [a] = await r.attempts(d.id);
      expect(a).toMatchObject({ response_status: 307, error_class: 'redirect', succeeded: false });
      expect(hitsTo(srv, '/target')).toHaveLength(0);
      expect(hitsTo(srv, '/moved')).toHaveLength(1);
    });

    it('410 disables the webhook with a reason, fails the delivery and sends none of its others', async () => {
      const srv = await serve((hit, res) => {
        res.statusCode = hit.path === '/gone' ? 410 : 200;
        res.end();
      });
      const r = await rigWith();
      const gone = await r.webhook({ url: `${srv.url}/gone`, events: ['user.*'], max_in_flight: 1 });
      const ok = await r.webhook({ url: `${srv.url}/ok`, events: ['barrier'] });
      const ids = await r.send('user.created', 5);
      r.start();

      const disabled = await waitFor(async () => {
        const w = await r.store.webhooks.get(TENANT, gone.id);
        return w !== null && !w.active ? w : null;
      });
      expect(disabled.disabled_reason).toMatch(/410/);
      // a later event to another webhook has gone all the way through: the dispatcher has moved on
      const [barrier] = await r.send('barrier');
      await statusOf(r, barrier!, ok.id, 'succeeded', 1);
      const ds = await waitFor(async () => {
        const all = await r.deliveries(gone.id);
        return all.every((d) => d.status !== 'delivering') ? all : null;
      });

      expect(hitsTo(srv, '/gone')).toHaveLength(1);
      const first = String(hitsTo(srv, '/gone')[0]!.headers['webhook-id']);
      expect(ids).toContain(first);
      for (const d of ds) {
        if (d.event_id === first)
          expect(d).toMatchObject({ status: 'failed', attempts: 1, last_status_code: 410 });
        else expect(d).toMatchObject({ status: 'pending', attempts: 0 });
      }
      // and new events no longer fan out to it
      const [later] = await r.send('user.deleted');
      const created = await r.store.deliveries.list(TENANT, { event_id: later! }, { limit: 10 });
      expect(created.data).toHaveLength(0);
    });

    it.each([429, 502, 503, 504])('%i honours Retry-After over the backoff', async (status) => {
      const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
      let n = 0;
      const srv = await serve((_h, res) => {
        if (n++ === 0) res.writeHead(status, { 'retry-after': '7' });
        res.end();
      });
      const r = await rigWith({ clock, dispatcher: { random: () => 0.5 } });
      const wh = await r.webhook({
        url: `${srv.url}/x`,
        retry_policy: fastPolicy({ initial_delay_ms: 100 }),
      });
      r.start();
      const [id] = await r.send('a.b');
      const d = await statusOf(r, id!, wh.id, 'pending', 1);
      expect(d.next_attempt_at).toBe(clock.t + 7000);
      expect(d.last_status_code).toBe(status);
      clock.advance(7000);
      await statusOf(r, id!, wh.id, 'succeeded', 2);
    });

    it('Retry-After is bounded by max_delay_ms, accepts an HTTP date, and is ignored on other statuses', async () => {
      const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
      const answers: Record<string, [number, Record<string, string>]> = {
        '/huge': [429, { 'retry-after': '3600' }],
        '/date': [503, { 'retry-after': new Date(clock.t + 10_000).toUTCString() }],
        '/plain500': [500, { 'retry-after': '7' }],
      };
      const srv = await serve((hit, res) => {
        const [status, headers] = answers[hit.path]!;
        res.writeHead(status, headers);
        res.end();
      });
      const r = await rigWith({ clock, dispatcher: { random: () => 0.5 } });
      const policy = fastPolicy({ initial_delay_ms: 100, max_delay_ms: 3000 });
      const huge = await r.webhook({ url: `${srv.url}/huge`, retry_policy: policy });
      const date = await r.webhook({
        url: `${srv.url}/date`,
        retry_policy: fastPolicy({ initial_delay_ms: 100 }),
      });
      const plain = await r.webhook({ url: `${srv.url}/plain500`, retry_policy: policy });
      r.start();
      const [id] = await r.send('a.b');
      expect((await statusOf(r, id!, huge.id, 'pending', 1)).next_attempt_at).toBe(clock.t + 3000);
      expect((await statusOf(r, id!, date.id, 'pending', 1)).next_attempt_at).toBe(clock.t + 10_000);
      expect((await statusOf(r, id!, plain.id, 'pending', 1)).next_attempt_at).toBe(clock.t + 100);
    });

    it('Retry-After: 2 delays the next attempt by at least 2 s of real time', async () => {
      let n = 0;
      const at: number[] = [];
      const srv = await serve((_h, res) => {
        at.push(Date.now());
        if (n++ === 0) res.writeHead(503, { 'retry-after': '2' });
        res.end();
      });
      const r = await rigWith();
      const wh = await r.webhook({ url: `${srv.url}/x`, retry_policy: fastPolicy({ initial_delay_ms: 10 }) });
      r.start();
      const [id] = await r.send('a.b');
      await statusOf(r, id!, wh.id, 'succeeded', 2);
      expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(2000);
    });

    it('other failures back off exponentially (±20% jitter, capped) until max_attempts, then failed', async () => {
      const clock = new ManualClock();
      const srv = await serve((hit, res) => {
        res.statusCode = hit.path === '/fail' ? 500 : 200;
        res.end(hit.path === '/fail' ? 'boom' : 'ok');
      });
      // random() = 0 is the low end of the jitter: 0.8 × the base delay
      const r = await rigWith({ clock, dispatcher: { random: () => 0 } });
      const wh = await r.webhook({
        url: `${srv.url}/fail`,
        events: ['a.*'],
        retry_policy: { max_attempts: 4, initial_delay_ms: 1000, backoff_multiplier: 3, max_delay_ms: 5000 },
      });
      const barrierHook = await r.webhook({ url: `${srv.url}/ok`, events: ['barrier'] });
      r.start();
      const [id] = await r.send('a.b');

      // 1000 × 3^(n-1) × 0.8 = 800, 2400, 5760 → capped at 5000
      const expected = [800, 2400, 5000];
      for (let n = 1; n <= 3; n++) {
        const d = await statusOf(r, id!, wh.id, 'pending', n);
        expect(d.next_attempt_at - clock.t).toBe(expected[n - 1]);
        if (n === 1) {
          // not one millisecond early: a barrier event to another webhook goes through, this one waits
          clock.advance(expected[0]! - 1);
          const [b] = await r.send('barrier');
          await statusOf(r, b!, barrierHook.id, 'succeeded', 1);
          expect(hitsTo(srv, '/fail')).toHaveLength(1);
          clock.advance(1);
        } else clock.advance(expected[n - 1]!);
      }
      const d = await statusOf(r, id!, wh.id, 'failed', 4);
      expect(d.last_status_code).toBe(500);
      const attempts = await r.attempts(d.id);
      expect(attempts.map((a) => [a.attempt_number, a.response_status, a.response_body])).toEqual([
        [1, 500, 'boom'],
        [2, 500, 'boom'],
        [3, 500, 'boom'],
        [4, 500, 'boom'],
      ]);
      const hits = hitsTo(srv, '/fail');
      expect(hits.map((h) => h.headers['x-hooklane-attempt'])).toEqual(['1', '2', '3', '4']);
      expect(new Set(hits.map((h) => h.headers['webhook-id']))).toEqual(new Set([id]));
      // each attempt is signed at its own time
      expect(hits.map((h) => Number(h.headers['webhook-timestamp']))).toEqual(
        attempts.map((a) => Math.floor(a.started_at / 1000)),
      );
    });

    it('jitter at the high end is +20%', async () => {
      const clock = new ManualClock();
      const srv = await serve((_h, res) => {
        res.statusCode = 500;
        res.end();
      });
      const r = await rigWith({ clock, dispatcher: { random: () => 0.999999 } });
      const wh = await r.webhook({
        url: `${srv.url}/x`,
        retry_policy: fastPolicy({ initial_delay_ms: 1000 }),
      });
      r.start();
      const [id] = await r.send('a.b');
      const d = await statusOf(r, id!, wh.id, 'pending', 1);
      expect(d.next_attempt_at - clock.t).toBe(1200);
    });

    it('a receiver that fails twice then succeeds: 3 attempts with statuses and durations, succeeded', async () => {
      let n = 0;
      const srv = await serve((_h, res) => {
        res.statusCode = n++ < 2 ? 500 : 200;
        res.end();
      });
      const r = await rigWith();
      const wh = await r.webhook({ url: `${srv.url}/x`, retry_policy: fastPolicy({ initial_delay_ms: 20 }) });
      r.start();
      const [id] = await r.send('a.b');
      const d = await statusOf(r, id!, wh.id, 'succeeded', 3);
      const attempts = await r.attempts(d.id);
      expect(attempts.map((a) => a.response_status)).toEqual([500, 500, 200]);
      for (const a of attempts) expect(a.duration_ms).toBeGreaterThanOrEqual(1);
      expect(attempts.map((a) => a.succeeded)).toEqual([false, false, true]);
    });

    it('per-webhook timeout_ms: no answer in time is a timeout attempt', async () => {
      const srv = await serve(() => {
        // never answers
      });
      const r = await rigWith();
      const wh = await r.webhook({
        url: `${srv.url}/hang`,
        timeout_ms: 200,
        retry_policy: fastPolicy({ max_attempts: 1 }),
      });
      r.start();
      const [id] = await r.send('a.b');
      const d = await statusOf(r, id!, wh.id, 'failed', 1);
      const [a] = await r.attempts(d.id);
      expect(a).toMatchObject({ response_status: null, error_class: 'timeout', succeeded: false });
      expect(a!.error).toMatch(/200 ms/);
      expect(a!.duration_ms).toBeGreaterThanOrEqual(200);
    });
  });

  describe('limits and fairness', () => {
    it('max_in_flight caps concurrent requests to one webhook', async () => {
      const srv = await serve((_h, res) => setTimeout(() => res.end(), 60));
      const r = await rigWith();
      const wh = await r.webhook({ url: `${srv.url}/x`, max_in_flight: 3 });
      await r.send('a.b', 15);
      r.start();
      await waitFor(async () => (await r.deliveries(wh.id)).every((d) => d.status === 'succeeded'));
      expect(srv.hits).toHaveLength(15);
      expect(srv.maxActive).toBe(3);
    });

    it('rate_limit_per_s spaces requests out after the first second’s burst', async () => {
      const at: number[] = [];
      const srv = await serve((_h, res) => {
        at.push(Date.now());
        res.end();
      });
      const r = await rigWith();
      const wh = await r.webhook({ url: `${srv.url}/x`, rate_limit_per_s: 5 });
      await r.send('a.b', 12);
      r.start();
      await waitFor(async () => (await r.deliveries(wh.id)).every((d) => d.status === 'succeeded'));
      expect(at).toHaveLength(12);
      // a bucket of 5 tokens refilled at 5/s: request i (0-based) cannot start before (i-4) × 200 ms
      for (let i = 5; i < at.length; i++) expect(at[i]! - at[0]!).toBeGreaterThanOrEqual((i - 4) * 200 - 25);
    });

    it('a receiver that never answers does not delay deliveries to a healthy webhook', async () => {
      const srv = await serve((hit, res) => {
        if (hit.path === '/fast') res.end('ok');
        // /slow never answers
      });
      const r = await rigWith({ dispatcher: { concurrency: 24, claimBatchSize: 24 } });
      const slow = await r.webhook({
        url: `${srv.url}/slow`,
        events: ['slow'],
        timeout_ms: 30_000,
        max_in_flight: 8,
      });
      const fast = await r.webhook({ url: `${srv.url}/fast`, events: ['fast'] });
      await r.send('slow', 60);
      await r.send('fast', 60);
      r.start();
      await waitFor(async () => (await r.deliveries(fast.id)).every((d) => d.status === 'succeeded'));
      // all the while the slow one held exactly its own slots, unanswered
      expect(hitsTo(srv, '/slow')).toHaveLength(8);
      expect((await r.deliveries(slow.id)).filter((d) => d.status === 'succeeded')).toHaveLength(0);
    });

    it('a backlog of overdue retries of one webhook never starves first attempts to another', async () => {
      const srv = await serve((hit, res) => {
        if (hit.path === '/healthy') return res.end('ok');
        setTimeout(() => {
          res.statusCode = 500;
          res.end();
        }, 100);
      });
      // the failing webhook may take more slots than the whole process has
      const r = await rigWith({ dispatcher: { concurrency: 8, claimBatchSize: 8 } });
      const failing = await r.webhook({
        url: `${srv.url}/failing`,
        events: ['old'],
        max_in_flight: 100,
        retry_policy: fastPolicy({ max_attempts: 50, initial_delay_ms: 0, backoff_multiplier: 1 }),
      });
      const healthy = await r.webhook({ url: `${srv.url}/healthy`, events: ['new'] });
      // overdue by an hour, as after an outage
      await r.send('old', 400, Date.now() - 3_600_000);
      r.start();
      await waitFor(() => hitsTo(srv, '/failing').length >= 16);
      await r.send('new', 20);
      await waitFor(async () => (await r.deliveries(healthy.id)).every((d) => d.status === 'succeeded'), {
        timeoutMs: 5000,
        message: 'first attempts to the healthy webhook',
      });
      const untouched = (await r.deliveries(failing.id)).filter((d) => d.attempts === 0);
      expect(untouched.length).toBeGreaterThan(200);
    });
  });

  describe('paused webhooks', () => {
    it('keep their deliveries and send nothing until resumed; then the backlog drains', async () => {
      const srv = await serve((_h, res) => res.end());
      const r = await rigWith();
      const paused = await r.webhook({ url: `${srv.url}/paused`, events: ['a.b'], paused: true });
      const barrierHook = await r.webhook({ url: `${srv.url}/barrier`, events: ['barrier'] });
      r.start();
      const ids = await r.send('a.b', 5);
      const [b] = await r.send('barrier');
      await statusOf(r, b!, barrierHook.id, 'succeeded', 1);
      expect(hitsTo(srv, '/paused')).toHaveLength(0);
      const kept = await r.deliveries(paused.id);
      expect(kept.map((d) => d.status)).toEqual(['pending', 'pending', 'pending', 'pending', 'pending']);

      await r.store.webhooks.update({ ...paused, paused: false, updated_at: Date.now() });
      for (const id of ids) await statusOf(r, id, paused.id, 'succeeded', 1);
      expect(hitsTo(srv, '/paused')).toHaveLength(5);
    });
  });

  describe('waking, leases and crash safety', () => {
    it('wakes at once after an ingest commit and at a retry’s due time; polling is only the floor', async () => {
      let n = 0;
      const srv = await serve((_h, res) => {
        res.statusCode = n++ === 0 ? 500 : 200;
        res.end();
      });
      // a floor of one minute: anything sooner was woken
      const r = await rigWith({ dispatcher: { pollIntervalMs: 60_000 } });
      const wh = await r.webhook({
        url: `${srv.url}/x`,
        retry_policy: fastPolicy({ initial_delay_ms: 300 }),
      });
      r.start();
      // let the first (empty) loop run and park on its one-minute timer
      await new Promise((res) => setImmediate(res));
      const [id] = await r.send('a.b');
      await statusOf(r, id!, wh.id, 'succeeded', 2);
    });

    /**
     * A rig whose claims are counted, started and past its first (empty) claim, with an ingestor
     * that leases new deliveries to its dispatcher; a poll floor of one minute, so nothing may wait
     * for polling. `wakes: false` drops the store's wakes. `beforeComplete` runs before each
     * completion batch is written, which waits for it.
     */
    async function handoffRig(
      wakes: boolean,
      dispatcher: { claimBatchSize?: number; leaseMarginMs?: number } = {},
      beforeComplete?: (batch: readonly Completion[]) => Promise<void>,
    ) {
      const counts = { claims: 0, claimed: 0, answered: 0 };
      const r = await rigWith({
        dispatcher: { pollIntervalMs: 60_000, ...dispatcher },
        wrapStore: (store) => ({
          ...store,
          queue: {
            ...store.queue,
            claim: async (o) => {
              counts.claims++;
              const got = await store.queue.claim(o);
              counts.claimed += got.length;
              counts.answered++;
              return got;
            },
            complete: async (workerId, batch, now) => {
              await beforeComplete?.(batch);
              return store.queue.complete(workerId, batch, now);
            },
            ...(wakes ? {} : { subscribe: () => () => {} }),
          },
        }),
      });
      const ingestor = new EventIngestor({
        store: r.store,
        clock: r.clock,
        metrics: new Metrics({ defaultMetrics: false }),
      });
      ingestor.setHandoff(r.dispatcher);
      const ingest = (n: number) =>
        ingestor.ingest({ event: buildEvent({ tenantId: TENANT, type: 'a.b', data: { n } }, r.clock.now()) });
      return {
        r,
        counts,
        ingest,
        /** ingests `count` events one at a time, each sent to `webhookId` before the next */
        async oneByOne(webhookId: string, count: number) {
          for (let n = 0; n < count; n++) {
            const { event } = await ingest(n);
            await statusOf(r, event.id, webhookId, 'succeeded', 1);
          }
        },
        async start() {
          r.start();
          // answered, not only asked: a wake while the first claim is still out makes another one
          await waitFor(() => counts.answered > 0, { message: 'the first (empty) claim' });
        },
      };
    }

    it('an ingest through the handoff leases its deliveries to the dispatcher: sent though no claim took them and no wake came', async () => {
      const srv = await serve((_h, res) => res.end());
      // no wakes: only the handoff can start these deliveries in time
      const { r, counts, ingest, start } = await handoffRig(false);
      const a = await r.webhook({ url: `${srv.url}/a` });
      const b = await r.webhook({ url: `${srv.url}/b`, paused: true });
      await start();
      const accepted = await Promise.all([1, 2, 3].map(ingest));
      for (const { event } of accepted) await statusOf(r, event.id, a.id, 'succeeded', 1);
      expect(hitsTo(srv, '/a')).toHaveLength(3);
      expect(counts.claimed).toBe(0); // every one came leased from its ingest
      // the paused webhook's deliveries were not leased: they wait, pending
      for (const { event } of accepted) expect((await r.deliveryOf(event.id, b.id)).status).toBe('pending');
    });

    it('an ingest leases a whole fan-out, more than one claim would take', async () => {
      const srv = await serve((_h, res) => res.end());
      const { r, counts, ingest, start } = await handoffRig(true, { claimBatchSize: 2 });
      const hooks = [];
      for (let i = 0; i < 5; i++) hooks.push(await r.webhook({ url: `${srv.url}/w${i}` }));
      await start();
      // the ingestor asks for as many leases per event as the last batch's widest fan-out
      const first = await ingest(1);
      for (const w of hooks) await statusOf(r, first.event.id, w.id, 'succeeded', 1);
      const claimedBefore = counts.claimed;
      const { event, deliveries, leased } = await ingest(2);
      expect(deliveries).toBe(5);
      expect(leased).toHaveLength(5);
      for (const w of hooks) await statusOf(r, event.id, w.id, 'succeeded', 1);
      expect(counts.claimed).toBe(claimedBefore);
    });

    it('deliveries leased at ingest cost no claims: finished sends claim only while a claim may find work', async () => {
      const srv = await serve((_h, res) => res.end());
      const { r, counts, oneByOne, start } = await handoffRig(true);
      const a = await r.webhook({ url: `${srv.url}/a` });
      await start();
      const before = counts.claims;
      // ten ingest batches, ten sends, ten completion batches
      await oneByOne(a.id, 10);
      expect(hitsTo(srv, '/a')).toHaveLength(10);
      expect(counts.claims - before).toBe(0);

      // a delivery left pending (its ingest had no lease to offer) wakes a claim that sends it
      const [id] = await r.send('a.b');
      await statusOf(r, id!, a.id, 'succeeded', 1);
      expect(counts.claims - before).toBeGreaterThan(0);
    });

    it('a webhook at its cap with a backlog costs no claim per finished send of another webhook, and gets its backlog once it has room', async () => {
      const srv = await serve((hit, res) => {
        if (hit.path !== '/stuck') res.end();
        // /stuck answers nothing: its attempts end at its timeout
      });
      // deliveries waiting in /stuck's lane are not handed back (stale) during the test
      const { r, counts, oneByOne, start } = await handoffRig(true, { leaseMarginMs: 20_000 });
      await r.webhook({ url: `${srv.url}/stuck`, events: ['stuck'], max_in_flight: 1, timeout_ms: 4000 });
      const a = await r.webhook({ url: `${srv.url}/a` });
      await start();
      await r.send('stuck', 1);
      await waitFor(() => hitsTo(srv, '/stuck').length === 1, { message: 'the first stuck attempt' });
      // its backlog arrives while its only slot is taken: the wake's claim leaves it pending
      const woken = counts.claims;
      await r.send('stuck', 2);
      await waitFor(() => counts.claims > woken, { message: 'the claim after the backlog arrived' });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const before = counts.claims;
      await oneByOne(a.id, 10);
      // while /stuck holds its only slot a claim could take nothing, and none was made
      expect(hitsTo(srv, '/stuck')).toHaveLength(1);
      expect(counts.claims - before).toBe(0);
      // its timeout frees the slot: the rest of its backlog goes out, with no wake needed
      await waitFor(() => hitsTo(srv, '/stuck').length >= 2, { message: 'the second stuck attempt' });
    });

    it('a webhook being disabled costs no claim per finished send of another webhook', async () => {
      const srv = await serve((hit, res) => {
        res.statusCode = hit.path === '/gone' ? 410 : 200;
        res.end();
      });
      // the batch that disables /gone is held: until it is written /gone is `disabling`, excluded
      // from claims while its lane has room
      let releaseDisable!: () => void;
      const disableHeld = new Promise<void>((resolve) => (releaseDisable = resolve));
      let disableSeen = false;
      const { r, counts, ingest, start } = await handoffRig(true, {}, async (batch) => {
        if (batch.some((c) => c.disable_webhook_reason !== undefined)) {
          disableSeen = true;
          await disableHeld;
        }
      });
      const gone = await r.webhook({ url: `${srv.url}/gone`, events: ['gone'] });
      await r.webhook({ url: `${srv.url}/a`, events: ['a.b'] });
      await start();
      await r.send('gone', 1);
      await waitFor(() => disableSeen, { message: 'the batch that disables /gone' });
      // a delivery that only a claim sends: that claim leaves /gone out
      const claimsBefore = counts.answered;
      await r.send('a.b');
      await waitFor(() => counts.answered > claimsBefore && hitsTo(srv, '/a').length === 1, {
        message: 'the claimed delivery to /a',
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const before = counts.claims;
      // ten events for /a, leased at ingest, sent one after the other (their completions queue
      // behind the held batch, so their hits are what is awaited)
      for (let n = 0; n < 10; n++) {
        await ingest(n);
        await waitFor(() => hitsTo(srv, '/a').length === n + 2, { message: `send ${n + 2} to /a` });
      }
      const claimsMeanwhile = counts.claims - before;
      releaseDisable();
      await waitFor(async () => (await r.store.webhooks.get(TENANT, gone.id))?.active === false, {
        message: '/gone disabled',
      });
      // /gone's lane had room, but it was being disabled: no claim could take anything
      expect(claimsMeanwhile).toBe(0);
      expect(hitsTo(srv, '/gone')).toHaveLength(1);
    });

    it('a retry that becomes due while a claim runs is not left to the poll floor', async () => {
      const clock = new ManualClock();
      let n = 0;
      const srv = await serve((_h, res) => {
        res.statusCode = n++ === 0 ? 500 : 200;
        res.end();
      });
      let afterClaim: (() => void) | null = null;
      const r = await rigWith({
        clock,
        dispatcher: { pollIntervalMs: 60_000, random: () => 0.5 },
        wrapStore: (store) => ({
          ...store,
          queue: {
            ...store.queue,
            claim: async (o) => {
              const claimed = await store.queue.claim(o);
              const hook = afterClaim;
              afterClaim = null;
              hook?.();
              return claimed;
            },
          },
        }),
      });
      const wh = await r.webhook({
        url: `${srv.url}/x`,
        events: ['a.b'],
        retry_policy: fastPolicy({ initial_delay_ms: 1000 }),
      });
      await r.webhook({ url: `${srv.url}/paused`, events: ['poke'], paused: true });
      r.start();
      const [id] = await r.send('a.b');
      const due = (await statusOf(r, id!, wh.id, 'pending', 1)).next_attempt_at;
      // the next claim runs 1 ms before the retry is due and takes that millisecond
      clock.set(due - 1);
      afterClaim = () => clock.set(due);
      // a commit that wakes the dispatcher but gives it nothing to send
      await r.send('poke');
      await statusOf(r, id!, wh.id, 'succeeded', 2);
    });

    it('an expired lease makes a delivery claimable again (a worker died holding it)', async () => {
      const clock = new ManualClock();
      const srv = await serve((_h, res) => res.end());
      const r = await rigWith({ clock, dispatcher: { leaseMarginMs: 1000 } });
      const wh = await r.webhook({ url: `${srv.url}/x`, events: ['a.b'], timeout_ms: 1000 });
      const barrierHook = await r.webhook({ url: `${srv.url}/barrier`, events: ['barrier'] });
      const [id] = await r.send('a.b');
      // a worker claims it, then dies
      const dead = await r.store.queue.claim({
        workerId: 'dead-worker',
        limit: 10,
        now: clock.t,
        leaseMarginMs: 1000,
        excludeWebhookIds: [],
        perWebhookLimit: 10,
      });
      expect(dead).toHaveLength(1);
      expect(dead[0]!.delivery.lease_expires_at).toBe(clock.t + 2000);
      r.start();

      // while the lease holds, the delivery is not sent
      clock.advance(1999);
      const [b] = await r.send('barrier');
      await statusOf(r, b!, barrierHook.id, 'succeeded', 1);
      expect(hitsTo(srv, '/x')).toHaveLength(0);

      clock.advance(1);
      const d = await statusOf(r, id!, wh.id, 'succeeded', 1);
      expect(d.lease_owner).toBeNull();
      // the dead worker's late result changes nothing
      const changed = await r.store.queue.complete(
        'dead-worker',
        [
          {
            tenant_id: TENANT,
            delivery_id: d.id,
            outcome: 'failed',
            attempt: {
              ...(await r.attempts(d.id))[0]!,
              id: 'att_late',
              succeeded: false,
              response_status: 500,
            },
          },
        ],
        clock.t,
      );
      expect(changed).toBe(0);
      expect((await r.deliveryOf(id!, wh.id)).status).toBe('succeeded');
    });
  });

  describe('signing and egress', () => {
    it('during a rotation grace period both secrets sign; after it, only the new one', async () => {
      const clock = new ManualClock();
      const srv = await serve((_h, res) => res.end());
      const r = await rigWith({ clock });
      const oldSecret = generateSecret();
      const newSecret = generateSecret();
      const wh = await r.webhook({
        url: `${srv.url}/x`,
        secrets: [
          { secret: newSecret, expires_at: null },
          { secret: oldSecret, expires_at: clock.t + 60_000 },
        ],
      });
      r.start();
      const [during] = await r.send('a.b');
      await statusOf(r, during!, wh.id, 'succeeded', 1);
      const hit = srv.hits[0]!;
      const body = hit.body.toString('utf8');
      expect(String(hit.headers['webhook-signature']).split(' ')).toHaveLength(2);
      // the receivers verify with the real clock: sign at (about) now
      for (const secret of [oldSecret, newSecret]) {
        expect(new StandardWebhook(secret).verify(body, signed(hit.headers))).toMatchObject({ id: during });
        expect(new SvixWebhook(secret).verify(body, svixSigned(hit.headers))).toMatchObject({ id: during });
      }

      clock.advance(60_000);
      const [after] = await r.send('a.b');
      await statusOf(r, after!, wh.id, 'succeeded', 1);
      const late = srv.hits[1]!;
      const lateBody = late.body.toString('utf8');
      // (a minute ahead of the real clock: inside the libraries' five-minute tolerance)
      expect(String(late.headers['webhook-signature']).split(' ')).toHaveLength(1);
      expect(() => new StandardWebhook(oldSecret).verify(lateBody, signed(late.headers))).toThrow();
      expect(() => new SvixWebhook(oldSecret).verify(lateBody, svixSigned(late.headers))).toThrow();
      expect(new SvixWebhook(newSecret).verify(lateBody, svixSigned(late.headers))).toMatchObject({
        id: after,
      });
    });

    it('the connect-time guard blocks a name that now resolves to loopback (DNS rebinding)', async () => {
      const srv = await serve((_h, res) => res.end());
      const port = new URL(srv.url).port;
      const r = await rigWith({
        dispatcher: {
          allowPrivateNetworks: false,
          // at creation this name resolved to a public address; now it answers 127.0.0.1
          lookup: async () => [{ address: '127.0.0.1', family: 4 }],
        },
      });
      const wh = await r.webhook({
        url: `http://rebind.example:${port}/x?token=s3cret-query`,
        retry_policy: fastPolicy({ max_attempts: 5 }),
      });
      r.start();
      const [id] = await r.send('a.b');
      // blocked is final: retrying would only be refused again
      const d = await statusOf(r, id!, wh.id, 'failed', 1);
      const [a] = await r.attempts(d.id);
      expect(a).toMatchObject({ response_status: null, error_class: 'blocked', succeeded: false });
      expect(a!.error).toMatch(/loopback/);
      expect(a!.error).not.toContain('s3cret-query');
      expect(srv.hits).toHaveLength(0);
    });
  });

  describe('auto-disable of dead endpoints', () => {
    const DAY = 86_400_000;

    it('a webhook failing for 5 days with no success is disabled; re-enabling starts a new window', async () => {
      const clock = new ManualClock();
      let healthy = true;
      const srv = await serve((_h, res) => {
        res.statusCode = healthy ? 200 : 500;
        res.end();
      });
      const r = await rigWith({ clock });
      const wh = await r.webhook({ url: `${srv.url}/x`, retry_policy: fastPolicy({ max_attempts: 1 }) });
      const active = async () => (await r.store.webhooks.get(TENANT, wh.id))!;
      r.start();

      const [e0] = await r.send('a.b');
      await statusOf(r, e0!, wh.id, 'succeeded', 1);
      healthy = false;

      // day 1: fails for good, but it succeeded a day ago
      clock.advance(DAY);
      const [e1] = await r.send('a.b');
      await statusOf(r, e1!, wh.id, 'failed', 1);
      expect((await active()).active).toBe(true);

      // day 5.5: no success for 5.5 days, but failing only since day 1
      clock.advance(4.5 * DAY);
      const [e2] = await r.send('a.b');
      await statusOf(r, e2!, wh.id, 'failed', 1);
      expect((await active()).active).toBe(true);

      // day 6.1: failing since day 1, 5.1 days with no success: disabled with the failure
      clock.advance(0.6 * DAY);
      const [e3] = await r.send('a.b');
      await statusOf(r, e3!, wh.id, 'failed', 1);
      const disabled = await active();
      expect(disabled.active).toBe(false);
      expect(disabled.disabled_reason).toMatch(/no delivery succeeded for 5 days/);
      const [e4] = await r.send('a.b');
      expect(await r.store.deliveries.list(TENANT, { event_id: e4! }, { limit: 5 })).toMatchObject({
        data: [],
      });

      // the user re-enables it: a fresh window, even though it still fails
      await r.store.webhooks.update({
        ...disabled,
        active: true,
        disabled_reason: null,
        updated_at: clock.t,
      });
      clock.advance(DAY);
      const [e5] = await r.send('a.b');
      await statusOf(r, e5!, wh.id, 'failed', 1);
      expect((await active()).active).toBe(true);
    });

    it('autoDisableAfterMs: 0 never disables', async () => {
      const clock = new ManualClock();
      const srv = await serve((_h, res) => {
        res.statusCode = 500;
        res.end();
      });
      const r = await rigWith({ clock, dispatcher: { autoDisableAfterMs: 0 } });
      const wh = await r.webhook({ url: `${srv.url}/x`, retry_policy: fastPolicy({ max_attempts: 1 }) });
      r.start();
      for (let day = 0; day < 8; day++) {
        const [e] = await r.send('a.b');
        await statusOf(r, e!, wh.id, 'failed', 1);
        clock.advance(DAY);
      }
      expect((await r.store.webhooks.get(TENANT, wh.id))!.active).toBe(true);
    });
  });
}
