/**
 * End to end on the real binary, on SQLite and on PostgreSQL (a fresh schema; skipped, saying
 * why, without HOOKLANE_TEST_DATABASE_URL): a GitHub-signed request to a source fans out to two
 * webhooks, one getting hooklane's envelope and one the provider's raw bytes (byte-identical, same
 * content type, plus hooklane's own signature and x-hooklane-source-id); a replay creates nothing.
 * Then a burst of 2,000 requests, a quarter of them replays, with 32 in flight: every request is
 * answered 200 and every distinct delivery is stored exactly once.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sign as githubSign } from '@octokit/webhooks-methods';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPgSchema, PG_SKIP_REASON, PG_TEST_URL, type PgSchema } from '../helpers/pg.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { apiClient, spawnServer, type ServerProcess } from '../helpers/server-process.js';
import { waitFor } from '../helpers/wait.js';

const GITHUB_SECRET = 'It\u2019s a Secret to Everybody';

const ENGINES = [
  { engine: 'sqlite', skip: undefined },
  { engine: 'postgres', skip: PG_TEST_URL === undefined ? PG_SKIP_REASON : undefined },
] as const;

describe.each(ENGINES)('inbound routing end to end ($engine, real process)', ({ engine, skip }) => {
  let dir: string;
  let pg: PgSchema | null = null;
  let server: ServerProcess;
  let receiver: Receiver;
  let admin: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    if (skip !== undefined) return;
    dir = mkdtempSync(join(tmpdir(), 'hl-in-e2e-'));
    receiver = await startReceiver();
    let databaseUrl = `sqlite:${join(dir, 'hl.db')}`;
    if (engine === 'postgres') {
      pg = await freshPgSchema();
      databaseUrl = `${pg.url}?schema=${pg.schema}`;
    }
    server = await spawnServer({ databaseUrl });
    admin = apiClient(server.url, server.adminKey);
    expect((await admin.post('/v1/tenants', { id: 'acme', name: 'Acme' })).status).toBe(201);
  });
  afterAll(async () => {
    await server?.stop();
    await receiver?.close();
    await pg?.drop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  // Skipped only for PostgreSQL without HOOKLANE_TEST_DATABASE_URL (plain `npm test`); .ci/run always sets it.
  it.skipIf(skip !== undefined)(
    `delivers one provider request as an envelope and as the raw bytes${skip ? ` (${skip})` : ''}`,
    async () => {
      const envelope = await admin.post('/v1/tenants/acme/webhooks', {
        url: `${receiver.url}/envelope`,
        events: ['github.*'],
      });
      const raw = await admin.post('/v1/tenants/acme/webhooks', {
        url: `${receiver.url}/raw`,
        events: ['github.push'],
        payload_format: 'raw',
      });
      expect(envelope.status, JSON.stringify(envelope.body)).toBe(201);
      expect(raw.status, JSON.stringify(raw.body)).toBe(201);
      const source = await admin.post('/v1/tenants/acme/sources', {
        name: 'GitHub',
        verification: { type: 'github', secret: GITHUB_SECRET },
      });
      expect(source.status, JSON.stringify(source.body)).toBe(201);
      const url = source.body.url as string;
      expect(url.startsWith(server.url)).toBe(true);

      // bytes a JSON round trip would change: spacing, key order, escapes, non-ASCII
      const body = Buffer.from(
        '{"ref":"refs/heads/main",  "zeta":1,"alpha":"caf\\u00e9 ☕","n":1.0}\n',
        'utf8',
      );
      const headers = {
        'content-type': 'application/json; charset=utf-8',
        'x-github-event': 'push',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': await githubSign(GITHUB_SECRET, body.toString('utf8')),
        'user-agent': 'GitHub-Hookshot/abc123',
      };
      const res = await fetch(url, { method: 'POST', headers, body });
      expect(res.status).toBe(200);
      const { id } = (await res.json()) as { id: string };

      await waitFor(
        () => receiver.received('/envelope').length >= 1 && receiver.received('/raw').length >= 1,
        {
          message: 'both webhooks to receive the event',
        },
      );
      const [env] = receiver.received('/envelope');
      const [rawReq] = receiver.received('/raw');

      expect(env!.headers['content-type']).toBe('application/json');
      const envBody = JSON.parse(env!.body.toString('utf8'));
      expect(envBody).toMatchObject({ id, type: 'github.push', data: JSON.parse(body.toString('utf8')) });
      new Webhook(envelope.body.secret).verify(
        env!.body.toString('utf8'),
        env!.headers as Record<string, string>,
      );

      expect(Buffer.compare(rawReq!.body, body)).toBe(0);
      expect(rawReq!.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(rawReq!.headers['x-hooklane-source-id']).toBe(source.body.id);
      expect(rawReq!.headers['x-hooklane-event-type']).toBe('github.push');
      expect(rawReq!.headers['webhook-id']).toBe(id);
      new Webhook(raw.body.secret).verify(rawReq!.body, rawReq!.headers as Record<string, string>);

      // the event keeps the provider's non-secret headers; the signature is not among them
      const event = await admin.get(`/v1/tenants/acme/events/${id}`);
      expect(event.body).toMatchObject({ source_id: source.body.id, type: 'github.push' });

      // a replay of the same delivery: answered as a duplicate, nothing stored or sent again
      const again = await fetch(url, { method: 'POST', headers, body });
      expect(await again.json()).toEqual({ id, duplicate: true });
      const deliveries = await admin.get(`/v1/tenants/acme/deliveries?event_id=${id}`);
      expect(deliveries.body.data).toHaveLength(2);
      await waitFor(
        async () => {
          const d = await admin.get(`/v1/tenants/acme/deliveries?event_id=${id}`);
          return d.body.data.every((x: { status: string }) => x.status === 'succeeded');
        },
        { message: 'both deliveries to succeed' },
      );
      expect(receiver.received('/envelope')).toHaveLength(1);
      expect(receiver.received('/raw')).toHaveLength(1);
    },
  );

  // Skipped only for PostgreSQL without HOOKLANE_TEST_DATABASE_URL (plain `npm test`); .ci/run always sets it.
  it.skipIf(skip !== undefined)(
    'a burst of 2,000 requests (a quarter replays) stores each delivery exactly once',
    async () => {
      const source = await admin.post('/v1/tenants/acme/sources', {
        name: 'burst',
        verification: { type: 'github', secret: GITHUB_SECRET },
        event_type: { static: 'burst.received' },
      });
      expect(source.status).toBe(201);
      const url = source.body.url as string;
      const TOTAL = 2000;
      const distinct = 1500;
      const deliveryIds = Array.from({ length: distinct }, () => randomUUID());
      const plan = Array.from({ length: TOTAL }, (_, i) => deliveryIds[i < distinct ? i : i % distinct]!);
      const answers = new Map<string, Set<string>>();
      const statuses = new Map<number, number>();
      let next = 0;
      await Promise.all(
        Array.from({ length: 32 }, async () => {
          while (next < plan.length) {
            const deliveryId = plan[next++]!;
            const body = JSON.stringify({ delivery: deliveryId });
            const res = await fetch(url, {
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                'x-github-event': 'push',
                'x-github-delivery': deliveryId,
                'x-hub-signature-256': await githubSign(GITHUB_SECRET, body),
              },
              body,
            });
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
            if (res.status === 200) {
              const { id } = (await res.json()) as { id: string };
              if (!answers.has(deliveryId)) answers.set(deliveryId, new Set());
              answers.get(deliveryId)!.add(id);
            } else await res.arrayBuffer();
          }
        }),
      );
      expect(Object.fromEntries(statuses)).toEqual({ 200: TOTAL });
      // every copy of a delivery was answered with the same event id
      expect(answers.size).toBe(distinct);
      for (const ids of answers.values()) expect(ids.size).toBe(1);
      // and exactly one event per delivery is stored
      const stored: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await admin.get(
          `/v1/tenants/acme/events?source_id=${source.body.id}&limit=250${cursor ? `&cursor=${cursor}` : ''}`,
        );
        stored.push(...page.body.data.map((e: { id: string }) => e.id));
        cursor = page.body.next_cursor;
      } while (cursor !== null);
      expect(stored).toHaveLength(distinct);
      expect(new Set(stored)).toEqual(new Set([...answers.values()].map((s) => [...s][0]!)));
    },
  );
});
