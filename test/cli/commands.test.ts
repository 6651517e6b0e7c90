/**
 * The API-calling commands (`tenants create`, `keys create`, `send`, `events tail`) against a real
 * server process, and the CLI's contract for mistakes: `--help` with examples everywhere, and a
 * non-zero exit with exactly one line on stderr for bad flags, bad keys and unreachable servers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { apiClient, freePort, spawnServer, type ServerProcess } from '../helpers/server-process.js';
import { runCli, startCli, type CliResult } from './cli-process.js';

function expectOneLineError(r: CliResult, pattern: RegExp) {
  expect(r.code, r.stdout + r.stderr).not.toBe(0);
  expect(r.code).not.toBeNull();
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^hooklane: /);
  expect(lines[0]).toMatch(pattern);
}

describe('hooklane CLI commands', () => {
  let dir: string;
  let server: ServerProcess;
  let receiver: Receiver;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hl-cli-'));
    server = await spawnServer({ databaseUrl: `sqlite:${join(dir, 'hl.db')}` });
    receiver = await startReceiver();
    env = { HOOKLANE_SERVER: server.url, HOOKLANE_API_KEY: server.adminKey };
  });

  afterAll(async () => {
    await server?.stop();
    await receiver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    '',
    'serve',
    'migrate',
    'listen',
    'send',
    'events',
    'events tail',
    'tenants',
    'tenants create',
    'keys',
    'keys create',
  ])('`hooklane %s --help` explains the command with examples', async (command) => {
    const r = await runCli([...command.split(' ').filter((w) => w !== ''), '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: hooklane /);
    expect(r.stdout).toMatch(/Examples?:\n\s+\$ hooklane /);
  });

  it('bootstraps a tenant and a key, then sends events with them', async () => {
    const t = await runCli(['tenants', 'create', '--id', 'globex', '--name', 'Globex'], env);
    expect(t.code, t.stderr).toBe(0);
    expect(JSON.parse(t.stdout)).toMatchObject({ id: 'globex', name: 'Globex' });

    const k = await runCli(['keys', 'create', '--tenant', 'globex', '--role', 'editor', '--name', 'ci'], env);
    expect(k.code, k.stderr).toBe(0);
    const key = JSON.parse(k.stdout) as { key: string; role: string; tenant_id: string };
    expect(key).toMatchObject({ role: 'editor', tenant_id: 'globex' });
    expect(key.key).toMatch(/^hl_/);

    const api = apiClient(server.url, key.key);
    const hook = await api.post('/v1/tenants/globex/webhooks', {
      url: `${receiver.url}/in`,
      events: ['user.*'],
    });
    expect(hook.status).toBe(201);

    const tenantEnv = { HOOKLANE_SERVER: server.url, HOOKLANE_API_KEY: key.key, HOOKLANE_TENANT: 'globex' };
    const sent = await runCli(['send', '--type', 'user.created', '--data', '{"email":"a@b.c"}'], tenantEnv);
    expect(sent.code, sent.stderr).toBe(0);
    const id = /^(evt_\w+) {2}user\.created {2}1 delivery queued$/m.exec(sent.stdout)?.[1];
    expect(id, sent.stdout).toBeDefined();
    const stored = await api.get(`/v1/tenants/globex/events/${id}`);
    expect(stored.body).toMatchObject({ type: 'user.created', data: { email: 'a@b.c' } });

    // a tenant's key names its tenant itself: no --tenant needed
    const inferred = await runCli(['send', '--type', 'user.deleted'], {
      HOOKLANE_SERVER: server.url,
      HOOKLANE_API_KEY: key.key,
    });
    expect(inferred.code, inferred.stderr).toBe(0);
    expect(inferred.stdout).toMatch(/^evt_\w+ {2}user\.deleted {2}1 delivery queued$/m);

    // the same idempotency key twice: one event, the second send queues nothing
    const args = ['send', '--type', 'user.updated', '--idempotency-key', 'k-1', '--json'];
    const a = JSON.parse((await runCli(args, tenantEnv)).stdout) as { id: string; deliveries: number };
    const b = JSON.parse((await runCli(args, tenantEnv)).stdout) as { id: string; deliveries: number };
    expect(b.id).toBe(a.id);
    expect([a.deliveries, b.deliveries]).toEqual([1, 0]);
  });

  it.each([
    ['the tenant stream', []],
    ['polling (--poll)', ['--poll', '--interval', '100']],
  ])('follows events and deliveries with `events tail` over %s', async (_mode, extra) => {
    const api = apiClient(server.url, server.adminKey);
    const tenant = `tail${extra.length}`;
    expect((await api.post('/v1/tenants', { id: tenant, name: 'Tail' })).status).toBe(201);
    const hook = await api.post(`/v1/tenants/${tenant}/webhooks`, {
      url: `${receiver.url}/tail-${tenant}`,
      // the failed state lasts ≥1.6 s: longer than a poll or stream tick, so it cannot be skipped
      retry_policy: { initial_delay_ms: 2000, backoff_multiplier: 1 },
    });
    expect(hook.status).toBe(201);
    receiver.on(`/tail-${tenant}`, { statuses: [500, 200] });
    const tail = startCli(['events', 'tail', '--tenant', tenant, ...extra], env);
    try {
      await tail.waitForOutput(new RegExp(`Following events and deliveries of tenant ${tenant}`));
      const sent = await api.post(`/v1/tenants/${tenant}/events`, { type: 'order.paid', data: { n: 1 } });
      expect(sent.status).toBe(202);
      const id = sent.body.id as string;
      await tail.waitForOutput(new RegExp(`event {5}${id}  order\\.paid`));
      // the failed first attempt and the successful retry both show
      await tail.waitForOutput(/delivery {2}dlv_\w+ {2}order\.paid → wh_\w+ {2}pending, 1 attempt last 500/);
      await tail.waitForOutput(
        /delivery {2}dlv_\w+ {2}order\.paid → wh_\w+ {2}succeeded, 2 attempts last 200/,
      );
    } finally {
      expect(await tail.interrupt()).toBe(0);
    }
  });

  it('exits non-zero with one line for an invalid api key', async () => {
    const r = await runCli(['send', '-t', 'globex', '--type', 'x.y'], {
      ...env,
      HOOKLANE_API_KEY: 'hl_wrong',
    });
    expectOneLineError(r, /401 unauthorized/);
  });

  it('exits non-zero with one line when the key may not act on the tenant', async () => {
    const k = JSON.parse(
      (await runCli(['keys', 'create', '-t', 'globex', '--role', 'viewer'], env)).stdout,
    ) as { key: string };
    const r = await runCli(['send', '-t', 'globex', '--type', 'x.y'], { ...env, HOOKLANE_API_KEY: k.key });
    expectOneLineError(r, /403 forbidden/);
  });

  it('exits non-zero with one line when the server is unreachable', async () => {
    const port = await freePort();
    const r = await runCli(['tenants', 'create', '--name', 'x'], {
      ...env,
      HOOKLANE_SERVER: `http://127.0.0.1:${port}`,
    });
    expectOneLineError(r, /cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
    const l = await runCli(
      ['listen', '-t', 'globex', '-f', 'http://localhost:3000', '--server', `http://127.0.0.1:${port}`],
      env,
    );
    expectOneLineError(l, /cannot reach/);
  });

  it.each([
    [['send', '--type', 'x.y'], /tenant is needed: pass --tenant .*\(the platform key is not bound to one\)/],
    [['send', '-t', 'globex'], /required option '--type <type>'/],
    [['send', '-t', 'globex', '--type', 'x.y', '--data', '{nope'], /--data is not valid JSON/],
    [['send', '-t', 'globex', '--type', 'x.y', '--bogus'], /unknown option '--bogus'/],
    [['listen', '-t', 'globex', '-f', 'ftp://x'], /--forward-to must be an http\(s\) URL/],
    [['listen', '-t', 'globex'], /required option '-f, --forward-to <url>'/],
    [['keys', 'create', '-t', 'globex', '--role', 'owner'], /--role.*owner/],
    [['send', '-t', 'globex', '--type', 'bad type!'], /400 validation_failed/],
    // `serve` is the default command, so a stray word is an argument it does not take
    [['nosuchcommand'], /too many arguments for 'serve'/],
  ])('exits non-zero with one line for bad input: %j', async (args, pattern) => {
    expectOneLineError(await runCli(args, env), pattern);
  });
});
