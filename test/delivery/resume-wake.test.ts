/**
 * Resuming a paused webhook through the API sends its backlog at once, not at the dispatcher's poll
 * floor: the real binary, with HOOKLANE_POLL_INTERVAL_MS at its maximum (60 s), so only the wake that
 * follows the webhook update can bring the backlog within seconds.
 *
 * - SQLite: one process (API and dispatcher), the store in its own thread as `hooklane serve` runs it.
 * - PostgreSQL: an api process and a worker process; the worker hears of the resume only through
 *   NOTIFY. Skipped without HOOKLANE_TEST_DATABASE_URL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PG_TEST_URL, freshPgSchema } from '../helpers/pg.js';
import { startReceiver } from '../helpers/receiver.js';
import { apiClient, spawnServer, type ServerProcess } from '../helpers/server-process.js';
import { waitFor } from '../helpers/wait.js';

const EVENTS = 5;
/** far below the poll floor; generous for a busy machine */
const WITHIN_MS = 5_000;
const env = { HOOKLANE_POLL_INTERVAL_MS: '60000' };

interface Deployment {
  /** where the API answers */
  api: ServerProcess;
  /** everything the processes wrote, for failure messages */
  output(): string;
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function sqliteServer(): Promise<Deployment> {
  const dir = mkdtempSync(join(tmpdir(), 'hl-resume-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const server = await spawnServer({ databaseUrl: `sqlite:${join(dir, 'hl.db')}`, env });
  cleanups.push(() => server.stop());
  return { api: server, output: () => server.output() };
}

async function postgresApiAndWorker(): Promise<Deployment> {
  const pg = await freshPgSchema();
  cleanups.push(() => pg.drop());
  const databaseUrl = `${pg.url}?schema=${pg.schema}`;
  const api = await spawnServer({ databaseUrl, role: 'api', env });
  cleanups.push(() => api.stop());
  const worker = await spawnServer({ databaseUrl, role: 'worker', env });
  cleanups.push(() => worker.stop());
  return { api, output: () => `api:\n${api.output()}\nworker:\n${worker.output()}` };
}

describe('resuming a paused webhook sends its backlog at once', () => {
  for (const [name, deploy, skip] of [
    ['SQLite, one process', sqliteServer, false],
    ['PostgreSQL, an api and a worker process', postgresApiAndWorker, PG_TEST_URL === undefined],
  ] as const) {
    it.skipIf(skip)(`${name}: within seconds, with a 60 s poll floor`, async () => {
      const receiver = await startReceiver();
      cleanups.push(() => receiver.close());
      const { api, output } = await deploy();
      const admin = apiClient(api.url, api.adminKey);
      expect((await admin.post('/v1/tenants', { id: 'acme', name: 'Acme' })).status).toBe(201);
      const control = await admin.post('/v1/tenants/acme/webhooks', { url: `${receiver.url}/control` });
      const paused = await admin.post('/v1/tenants/acme/webhooks', {
        url: `${receiver.url}/paused`,
        paused: true,
      });
      expect([control.status, paused.status]).toEqual([201, 201]);

      for (let i = 0; i < EVENTS; i++) {
        const res = await admin.post('/v1/tenants/acme/events', { type: 'user.created', data: { i } });
        expect(res.status).toBe(202);
      }
      // The control webhook's deliveries written back prove the dispatcher claimed after the
      // backlog was stored (and skipped it, paused): from now on it sleeps until the poll floor
      // unless something wakes it.
      await waitFor(
        async () => {
          const res = await admin.get(
            `/v1/tenants/acme/deliveries?webhook_id=${control.body.id}&status=succeeded`,
          );
          return res.body.data.length === EVENTS;
        },
        { message: () => `the control webhook's deliveries\n${output()}` },
      );
      expect(receiver.received('/paused')).toHaveLength(0);

      const res = await admin.patch(`/v1/tenants/acme/webhooks/${paused.body.id}`, { paused: false });
      expect(res.status).toBe(200);
      expect(res.body.paused).toBe(false);
      await waitFor(() => receiver.received('/paused').length === EVENTS, {
        timeoutMs: WITHIN_MS,
        message: () =>
          `the backlog within ${WITHIN_MS} ms of the resume (got ${receiver.received('/paused').length})\n${output()}`,
      });
    });
  }
});
