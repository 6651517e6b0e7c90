/**
 * `hooklane listen` end to end, with nothing simulated: the real server binary on a SQLite file,
 * the real CLI binary, and a real local app (node:http). Deliveries must arrive with signatures
 * that the reference `standardwebhooks` package accepts under the secret the CLI printed; the
 * local app's answers must become the attempts (a 500 is retried by the normal policy); and the
 * CLI must ride out a server kill -9 and restart on the same file and port.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { apiClient, freePort, spawnServer, type ServerProcess } from '../helpers/server-process.js';
import { waitFor } from '../helpers/wait.js';
import { startCli, type LongRunning } from './cli-process.js';

const GRACE_MS = 3000;
const TENANT = 'acme';

describe('hooklane listen (real server, real CLI, real local app)', () => {
  let dir: string;
  let port: number;
  let server: ServerProcess;
  let app: Receiver;
  let editorKey: string;
  const clis: LongRunning[] = [];

  const databaseUrl = () => `sqlite:${join(dir, 'hl.db')}`;
  const start = () =>
    spawnServer({
      databaseUrl: databaseUrl(),
      port,
      env: { HOOKLANE_LISTENER_GRACE_MS: String(GRACE_MS), HOOKLANE_POLL_INTERVAL_MS: '100' },
    });
  const api = () => apiClient(server.url, server.adminKey);
  const listen = (forwardTo: string, extra: string[] = [], key = editorKey) => {
    const cli = startCli([
      'listen',
      '--tenant',
      TENANT,
      '--forward-to',
      forwardTo,
      '--server',
      server.url,
      '--api-key',
      key,
      ...extra,
    ]);
    clis.push(cli);
    return cli;
  };
  async function ready(cli: LongRunning) {
    const secret = (await cli.waitForOutput(/Webhook signing secret: (whsec_\S+)/))[1]!;
    const listener = (await cli.waitForOutput(/Ready \(listener (lsn_\w+)\)/))[1]!;
    return { secret, listener, webhookId: `wh_${listener.slice(4)}` };
  }
  async function send(type: string, data: unknown = {}) {
    const res = await api().post(`/v1/tenants/${TENANT}/events`, { type, data });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return res.body as { id: string; deliveries: number };
  }
  async function deliveryOf(eventId: string) {
    const list = await api().get(`/v1/tenants/${TENANT}/deliveries?event_id=${eventId}`);
    const id = list.body.data[0]?.id as string | undefined;
    return id === undefined ? null : (await api().get(`/v1/tenants/${TENANT}/deliveries/${id}`)).body;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hl-listen-'));
    port = await freePort();
    server = await start();
    app = await startReceiver();
    expect((await api().post('/v1/tenants', { id: TENANT, name: 'Acme' })).status).toBe(201);
    const key = await api().post(`/v1/tenants/${TENANT}/api-keys`, { role: 'editor', name: 'dev' });
    expect(key.status).toBe(201);
    editorKey = key.body.key;
  });

  afterAll(async () => {
    for (const cli of clis) await cli.kill9();
    await server?.kill9();
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('forwards signed deliveries that verify with the printed secret, and prints one line each', async () => {
    const cli = listen(`${app.url}/hooks`, ['--events', 'user.*']);
    const { secret, webhookId, listener } = await ready(cli);

    // the listener is an ordinary webhook of the tenant: it shows in the list
    const hooks = await api().get(`/v1/tenants/${TENANT}/webhooks`);
    const listed = hooks.body.data.find((w: { id: string }) => w.id === webhookId);
    expect(listed).toMatchObject({
      url: `${app.url}/hooks`,
      events: ['user.*'],
      active: true,
      listener_id: listener,
    });

    const event = await send('user.created', { email: 'ada@example.com' });
    expect(event.deliveries).toBe(1);
    expect((await send('invoice.paid')).deliveries).toBe(0); // filtered out by --events

    const got = await waitFor(() => app.received('/hooks')[0], { message: 'the local app to get the event' });
    expect(got.headers['webhook-id']).toBe(event.id);
    expect(got.headers['x-hooklane-webhook-id']).toBe(webhookId);
    const verified = new Webhook(secret).verify(got.body.toString('utf8'), {
      'webhook-id': String(got.headers['webhook-id']),
      'webhook-timestamp': String(got.headers['webhook-timestamp']),
      'webhook-signature': String(got.headers['webhook-signature']),
    });
    expect(verified).toMatchObject({
      id: event.id,
      type: 'user.created',
      data: { email: 'ada@example.com' },
    });
    // a wrong secret must not verify the same request (the check above is not vacuous)
    expect(() =>
      new Webhook('whsec_' + Buffer.alloc(32, 7).toString('base64')).verify(got.body.toString('utf8'), {
        'webhook-id': String(got.headers['webhook-id']),
        'webhook-timestamp': String(got.headers['webhook-timestamp']),
        'webhook-signature': String(got.headers['webhook-signature']),
      }),
    ).toThrow();

    await cli.waitForOutput(new RegExp(`\\d\\d:\\d\\d:\\d\\d  user\\.created  ${event.id}  → 200  \\d+ ms`));
    const delivery = await waitFor(async () => {
      const d = await deliveryOf(event.id);
      return d?.status === 'succeeded' ? d : null;
    });
    expect(delivery.attempts).toHaveLength(1);
    expect(delivery.attempts[0]).toMatchObject({ response_status: 200, succeeded: true });
    expect(delivery.attempts[0].response_body).toBe('answer 1 from /hooks');
  });

  it('records a local 500 as a failed attempt and retries it; the secret is stable across runs', async () => {
    app.on('/flaky', { statuses: [500, 200] });
    const first = clis[0]!;
    const firstSecret = (await first.waitForOutput(/Webhook signing secret: (whsec_\S+)/))[1];
    const cli = listen(`${app.url}/flaky`, ['--events', 'order.*']);
    const { secret } = await ready(cli);
    expect(secret).toBe(firstSecret); // same api key and tenant → same secret

    const event = await send('order.created', { n: 1 });
    await cli.waitForOutput(new RegExp(`order\\.created  ${event.id}  → 500`));
    const delivery = await waitFor(
      async () => {
        const d = await deliveryOf(event.id);
        return d?.status === 'succeeded' ? d : null;
      },
      { timeoutMs: 20_000, message: 'the retry (default policy: ~5 s) to succeed' },
    );
    expect(delivery.attempts.map((a: { response_status: number }) => a.response_status)).toEqual([500, 200]);
    expect(delivery.attempts[0]).toMatchObject({ succeeded: false, error_class: '5xx' });
    await cli.waitForOutput(new RegExp(`order\\.created  ${event.id}  → 200  \\d+ ms  \\(attempt 2\\)`));
    await cli.interrupt();
  });

  it('gives a different api key a different secret', async () => {
    const cli = listen(`${app.url}/other`, ['--events', 'nothing.here'], server.adminKey);
    const { secret } = await ready(cli);
    const first = (await clis[0]!.waitForOutput(/Webhook signing secret: (whsec_\S+)/))[1];
    expect(secret).not.toBe(first);
    expect(await cli.interrupt()).toBe(0);
  });

  it('fails attempts while the CLI is away and removes its listener after the grace period', async () => {
    const cli = listen(`${app.url}/gone`, ['--events', 'gone.*']);
    const { webhookId } = await ready(cli);
    await cli.kill9();

    const event = await send('gone.now');
    expect(event.deliveries).toBe(1);
    const attempted = await waitFor(async () => {
      const d = await deliveryOf(event.id);
      return d !== null && d.attempts.length > 0 ? d : null;
    });
    expect(attempted.attempts[0]).toMatchObject({ succeeded: false, error_class: 'connect' });
    expect(attempted.attempts[0].error).toMatch(/not connected/);

    await waitFor(
      async () => (await api().get(`/v1/tenants/${TENANT}/webhooks/${webhookId}`)).status === 404,
      {
        timeoutMs: GRACE_MS + 10_000,
        message: 'the listener webhook to be removed',
      },
    );
    const after = await deliveryOf(event.id);
    expect(after.status).toBe('cancelled');
    expect(app.received('/gone')).toHaveLength(0);
  });

  it('removes its listener at once on Ctrl-C', async () => {
    const cli = listen(`${app.url}/bye`, ['--events', 'bye.*']);
    const { webhookId } = await ready(cli);
    expect((await api().get(`/v1/tenants/${TENANT}/webhooks/${webhookId}`)).status).toBe(200);
    expect(await cli.interrupt()).toBe(0);
    expect(cli.output()).toMatch(/Listener removed/);
    expect((await api().get(`/v1/tenants/${TENANT}/webhooks/${webhookId}`)).status).toBe(404);
  });

  it('reconnects after the server is killed and restarted, and delivery resumes', async () => {
    const cli = clis[0]!;
    const secret = (await cli.waitForOutput(/Webhook signing secret: (whsec_\S+)/))[1]!;
    await server.kill9();
    await cli.waitForOutput(/Lost connection to the server \(.+\); reconnecting in/);

    server = await start();
    await cli.waitForOutput(/Reconnected; listening again/, 30_000);

    const before = app.received('/hooks').length;
    const event = await send('user.updated', { after: 'restart' });
    expect(event.deliveries).toBe(1);
    const got = await waitFor(
      () => app.received('/hooks').find((r) => r.headers['webhook-id'] === event.id),
      {
        timeoutMs: 15_000,
        message: 'the event sent after the restart to reach the local app',
      },
    );
    expect(app.received('/hooks').length).toBe(before + 1);
    const verified = new Webhook(secret).verify(got.body.toString('utf8'), {
      'webhook-id': String(got.headers['webhook-id']),
      'webhook-timestamp': String(got.headers['webhook-timestamp']),
      'webhook-signature': String(got.headers['webhook-signature']),
    });
    expect(verified).toMatchObject({ id: event.id, data: { after: 'restart' } });
    await cli.waitForOutput(new RegExp(`user\\.updated  ${event.id}  → 200`));
  });
  it('registers again when its listener was removed while the server was away', async () => {
    const cli = clis[0]!;
    const webhookId = `wh_${(await cli.waitForOutput(/Ready \(listener lsn_(\w+)\)/))[1]}`;
    // someone deletes the listener webhook, then the server restarts: the old listener is gone
    expect((await api().del(`/v1/tenants/${TENANT}/webhooks/${webhookId}`)).status).toBe(204);
    await server.kill9();
    server = await start();
    const again = (await cli.waitForOutput(/Listener registered again as (lsn_\w+)/, 30_000))[1]!;
    await cli.waitForOutput(new RegExp(`Reconnected; listening again \\(listener ${again}\\)`));
    const event = await send('user.deleted');
    expect(event.deliveries).toBe(1);
    await waitFor(() => app.received('/hooks').find((r) => r.headers['webhook-id'] === event.id), {
      message: 'delivery through the new listener',
    });
  });
});
