/**
 * Scale-out on PostgreSQL, with the real binary: 1 api process and 3 worker processes share one
 * database (a fresh schema, named in the URL as every process would get it). 10,000 events are
 * accepted; one worker is killed with SIGKILL mid-run.
 *
 * - every event is delivered;
 * - a request is duplicated only for a delivery the killed worker held a lease on when it died
 *   (read from the deliveries' lease_owner right after the kill), so the other workers never
 *   duplicated anything;
 * - each such delivery is re-sent only after its lease expired (receiver arrival time ≥ the lease
 *   expiry recorded in the row), never while the dead worker's lease still stood;
 * - afterwards every delivery succeeded, and its attempts table rows match what live workers sent.
 *
 * A short lease margin (500 ms) keeps the lease at the webhook timeout + 0.5 s, so the test is quick.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, spawnServer, type ServerProcess } from '../helpers/server-process.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { PG_TEST_URL, freshPgSchema, pgQuery, type PgSchema } from '../helpers/pg.js';
import { waitFor } from '../helpers/wait.js';

const EVENTS = 10_000;
// generous next to the receiver's 20 ms, so no live worker ever times out and retries on a busy machine
const TIMEOUT_MS = 10_000;
const LEASE_MARGIN_MS = 500;

// Skipped without HOOKLANE_TEST_DATABASE_URL: these tests need a PostgreSQL server (see test/helpers/pg.ts).
describe.skipIf(PG_TEST_URL === undefined)('1 api + 3 workers on PostgreSQL, kill -9 of a worker', () => {
  let pg: PgSchema;
  let receiver: Receiver;
  const processes: ServerProcess[] = [];

  beforeAll(async () => {
    pg = await freshPgSchema();
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await receiver?.close();
    await pg?.drop();
  });

  it('delivers every event; duplicates only for the dead worker’s leases, re-sent after they expired', async () => {
    const databaseUrl = `${pg.url}?schema=${pg.schema}`;
    const env = {
      HOOKLANE_LEASE_MARGIN_MS: String(LEASE_MARGIN_MS),
      HOOKLANE_PG_POOL_SIZE: '4',
      HOOKLANE_CLAIM_BATCH_SIZE: '50',
    };
    const api = await spawnServer({ databaseUrl, role: 'api', env });
    processes.push(api);
    const workers = await Promise.all(
      [0, 1, 2].map(() =>
        // readiness of a worker is its "worker running" log line, logged at info
        spawnServer({ databaseUrl, role: 'worker', env: { ...env, HOOKLANE_LOG_LEVEL: 'info' } }),
      ),
    );
    processes.push(...workers);
    const victim = workers[0]!;

    const admin = apiClient(api.url, api.adminKey);
    expect((await admin.post('/v1/tenants', { id: 'acme', name: 'Acme' })).status).toBe(201);
    // a receiver that takes a little while keeps deliveries in flight when the worker dies
    receiver.on('/hook', { delayMs: 20 });
    const created = await admin.post('/v1/tenants/acme/webhooks', {
      url: `${receiver.url}/hook`,
      events: ['*'],
      timeout_ms: TIMEOUT_MS,
      max_in_flight: 64,
      retry_policy: { max_attempts: 10, initial_delay_ms: 100, backoff_multiplier: 2, max_delay_ms: 1000 },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);

    let next = 0;
    const posting = Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < EVENTS) {
          const i = next++;
          const res = await admin.post('/v1/tenants/acme/events', {
            id: `e${i}`,
            type: 'user.created',
            data: { i },
          });
          expect(res.status, JSON.stringify(res.body)).toBe(202);
        }
      }),
    );

    // kill the victim part way through, while it holds leases; meanwhile note which processes lease
    const victimLeases = `%:${victim.child.pid}:%`;
    const leaseHolders = new Set<string>();
    const victimHolds = async () => {
      const rows = await pgQuery<{ owner: string; n: number }>(
        `SELECT lease_owner AS owner, count(*)::int AS n FROM deliveries WHERE status = 'delivering' GROUP BY 1`,
        [],
        pg.schema,
      );
      for (const r of rows) leaseHolders.add(r.owner);
      return rows.find((r) => r.owner.includes(`:${victim.child.pid}:`))?.n ?? 0;
    };
    await waitFor(async () => receiver.requests.length >= 2_000 && (await victimHolds()) > 0, {
      timeoutMs: 60_000,
      intervalMs: 25,
      message: 'the victim worker holding leases mid-run',
    });
    // only worker processes lease deliveries: the api process delivers nothing
    const pidOf = (owner: string) => Number(owner.split(':').at(-2));
    const workerPids = workers.map((w) => w.child.pid);
    for (const owner of leaseHolders) expect(workerPids, owner).toContain(pidOf(owner));
    // and a worker serves no API
    await expect(fetch(`${workers[1]!.url}/health`)).rejects.toThrow();
    await victim.kill9();
    const sentAtKill = receiver.requests.length;
    // Its leases stand until timeout + margin after they were taken: read them now, before anyone may
    // reclaim them.
    const orphaned = await pgQuery<{ id: string; event_id: string; lease_expires_at: number }>(
      `SELECT id, event_id, lease_expires_at::float8 AS lease_expires_at FROM deliveries
       WHERE status = 'delivering' AND lease_owner LIKE $1`,
      [victimLeases],
      pg.schema,
    );
    expect(orphaned.length).toBeGreaterThan(0);
    expect(sentAtKill, 'the kill came before the end of the run').toBeLessThan(EVENTS);
    await posting;
    const leaseOf = new Map(orphaned.map((d) => [d.event_id, d.lease_expires_at]));

    const received = () => new Set(receiver.received('/hook').map((r) => String(r.headers['webhook-id'])));
    await waitFor(() => received().size === EVENTS, {
      timeoutMs: 120_000,
      message: () => `all ${EVENTS} events delivered (have ${received().size})`,
    });
    const want = new Set(Array.from({ length: EVENTS }, (_, i) => `e${i}`));
    expect(received()).toEqual(want);

    // duplicates: only deliveries the killed worker held, and only re-sent after its lease expired
    const byEvent = new Map<string, number[]>();
    for (const r of receiver.received('/hook')) {
      const id = String(r.headers['webhook-id']);
      byEvent.set(id, [...(byEvent.get(id) ?? []), r.at]);
    }
    const duplicated = [...byEvent].filter(([, times]) => times.length > 1);
    const strays = duplicated.filter(([id]) => !leaseOf.has(id)).map(([id]) => id);
    expect(strays, 'duplicates of deliveries the killed worker did not hold').toEqual([]);
    for (const [id, times] of duplicated) {
      const expiry = leaseOf.get(id)!;
      const later = [...times].sort((a, b) => a - b).slice(1);
      for (const at of later)
        expect(at, `${id} re-sent before its lease expired`).toBeGreaterThanOrEqual(expiry);
    }
    // each orphaned delivery was sent at most twice: once (maybe) by the dead worker, once by a live one
    for (const [id, times] of duplicated) expect(times.length, id).toBe(2);
    expect(duplicated.length).toBeLessThanOrEqual(orphaned.length);

    // the database agrees: every delivery succeeded; the attempts recorded are the live workers' ones
    await waitFor(
      async () =>
        (
          await pgQuery<{ n: number }>(
            `SELECT count(*)::int AS n FROM deliveries WHERE status = 'succeeded'`,
            [],
            pg.schema,
          )
        )[0]!.n === EVENTS,
      { timeoutMs: 30_000, message: 'every delivery marked succeeded' },
    );
    const attempts = await pgQuery<{ n: number }>(`SELECT count(*)::int AS n FROM attempts`, [], pg.schema);
    // the dead worker's unrecorded sends are exactly the requests the database does not know of
    const requests = receiver.received('/hook').length;
    expect(requests - EVENTS).toBe(duplicated.length);
    expect(requests - attempts[0]!.n).toBe(duplicated.length);
  }, 240_000);
});
