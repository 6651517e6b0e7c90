/**
 * hooklane as a user runs it: `node dist/src/cli/main.js serve` in its own process with a known
 * platform admin key, loopback webhook URLs allowed, a real database. Plus the few API calls the
 * scenarios need, made over HTTP like any client.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { request } from 'undici';
import { freshDatabase } from './postgres.mjs';
import { freePort, spawnNode } from './procs.mjs';
import { sleep } from './stats.mjs';

export const ROOT = resolve(import.meta.dirname, '../..');
/**
 * The built binary. HOOKLANE_BENCH_CLI points at another build (a private snapshot of the tree,
 * to measure one change while other work in the checkout is half done); the default is this tree's.
 */
export const CLI = process.env.HOOKLANE_BENCH_CLI
  ? resolve(process.env.HOOKLANE_BENCH_CLI)
  : join(ROOT, 'dist/src/cli/main.js');
export const ADMIN_KEY = 'hl_bench_admin_key_0123456789abcdef';
export const TENANT = 'bench';

/** null when hooklane can be started, else why not */
export function hooklaneUnavailable() {
  return existsSync(CLI) ? null : `${CLI} is missing: run \`npm run build\` (\`npm run bench\` does)`;
}

/** options shared by every hooklane process of a run (set once by run.mjs) */
const runOptions = { profileDir: null };
export function setHooklaneRunOptions(opts) {
  Object.assign(runOptions, opts);
}

let instances = 0;

/**
 * Starts one hooklane process and waits until `/health` answers 200 (or, for a worker, until it
 * logs that it runs). `env` adds HOOKLANE_* settings.
 */
export async function startHooklane({ database, role = 'all', env = {}, label = 'hooklane' }) {
  const unavailable = hooklaneUnavailable();
  if (unavailable) throw new Error(unavailable);
  const port = await freePort();
  const n = ++instances;
  const execArgv =
    runOptions.profileDir === null
      ? []
      : // one directory per instance; Node names each thread's file CPU.<date>.<pid>.<thread id>.…
        // (thread 0 is the main thread, the next the SQLite thread)
        ['--cpu-prof', `--cpu-prof-dir=${join(runOptions.profileDir, `${label}-${n}`)}`];
  const proc = spawnNode(
    label,
    [
      CLI,
      'serve',
      '--port',
      String(port),
      '--database',
      database,
      '--allow-private-networks',
      '--role',
      role,
    ],
    {
      execArgv,
      env: { HOOKLANE_ADMIN_KEY: ADMIN_KEY, HOOKLANE_LOG_LEVEL: 'warn', ...env },
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (!proc.running()) throw new Error(`hooklane exited while starting:\n${proc.output()}`);
    if (role === 'worker') {
      if (/worker running/.test(proc.output())) break;
    } else {
      try {
        const res = await request(`${url}/health`);
        await res.body.dump();
        if (res.statusCode === 200) break;
      } catch {
        // not listening yet
      }
    }
    if (Date.now() > deadline) {
      await proc.stop(0);
      throw new Error(`hooklane did not become ready within 30 s:\n${proc.output()}`);
    }
    await sleep(50);
  }
  return {
    url: role === 'worker' ? null : url,
    pid: proc.pid,
    output: proc.output,
    /**
     * SIGTERM (hooklane drains in-flight deliveries), SIGKILL after `graceMs`; a benchmark that
     * left requests hanging on a never-answering receiver passes a short grace.
     */
    stop: (graceMs = 10_000) => proc.stop(graceMs),
  };
}

/** a temporary directory with a SQLite database URL in it; `remove()` deletes it */
export function tempSqlite() {
  const dir = mkdtempSync(join(tmpdir(), 'hl-bench-'));
  return {
    url: `sqlite:${join(dir, 'hl.db')}`,
    dir,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Runs `fn({servers, url, origins})` with `processes` hooklane processes on a fresh database
 * (`engine` sqlite: a temp file; postgres: a new database) and always stops and removes them.
 * Processes start one after the other, so only the first applies migrations.
 */
export async function withHooklane({ engine = 'sqlite', processes = 1, env = {}, stopGraceMs = 10_000 }, fn) {
  const db = engine === 'sqlite' ? tempSqlite() : await freshDatabase();
  const servers = [];
  try {
    for (let i = 0; i < processes; i++) {
      servers.push(await startHooklane({ database: db.url, env, label: `hooklane-${engine}` }));
    }
    return await fn({ servers, url: servers[0].url, origins: servers.map((s) => s.url) });
  } finally {
    await Promise.all(servers.map((s) => s.stop(stopGraceMs)));
    await (engine === 'sqlite' ? db.remove() : db.drop());
  }
}

/** a JSON client for the API: `raw` answers {status, body}; the others throw unless 2xx */
export function api(baseUrl, key = ADMIN_KEY) {
  async function raw(method, path, body) {
    const res = await request(baseUrl + path, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.body.text();
    let parsed = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text for the error message
    }
    return { status: res.statusCode, body: parsed };
  }
  async function call(method, path, body) {
    const res = await raw(method, path, body);
    if (res.status < 200 || res.status >= 300) {
      throw new Error(`${method} ${path} → ${res.status}: ${JSON.stringify(res.body).slice(0, 500)}`);
    }
    return res.body;
  }
  return {
    raw,
    get: (p) => call('GET', p),
    post: (p, b = {}) => call('POST', p, b),
    patch: (p, b) => call('PATCH', p, b),
  };
}

/** creates the bench tenant and one webhook per spec; returns the webhooks as the API answered */
export async function setupTenant(baseUrl, webhooks) {
  const client = api(baseUrl);
  await client.post('/v1/tenants', { id: TENANT, name: 'Benchmark' });
  const created = [];
  for (const spec of webhooks) {
    created.push(await client.post(`/v1/tenants/${TENANT}/webhooks`, { events: ['*'], ...spec }));
  }
  return created;
}

export const EVENTS_PATH = `/v1/tenants/${TENANT}/events`;

/** headers of every event POST of the load generator */
export const EVENT_HEADERS = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };
