/**
 * Runs hooklane as a user would: `node dist/src/cli/main.js serve` in its own process, against a
 * real database, so end-to-end tests exercise the real binary, config, signals and crash paths.
 * `npm test` builds dist/ before vitest runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const CLI = resolve(import.meta.dirname, '../../dist/src/cli/main.js');

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

export interface ServerProcess {
  url: string;
  adminKey: string;
  child: ChildProcess;
  /** everything the process wrote, for failure messages */
  output(): string;
  /** SIGTERM and wait for exit; resolves with the exit code */
  stop(): Promise<number | null>;
  /** SIGKILL (a crash) and wait for exit */
  kill9(): Promise<void>;
}

export interface SpawnOptions {
  databaseUrl: string;
  role?: 'api' | 'worker' | 'all';
  env?: Record<string, string>;
  adminKey?: string;
  /** port to listen on (default: a free one); ignored for workers */
  port?: number;
}

export const TEST_ADMIN_KEY = 'hl_test_admin_key_0123456789abcdef';

export async function spawnServer(opts: SpawnOptions): Promise<ServerProcess> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does)`);
  const port = opts.port ?? (await freePort());
  const adminKey = opts.adminKey ?? TEST_ADMIN_KEY;
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--port', String(port), '--database', opts.databaseUrl],
    {
      env: {
        ...process.env,
        HOOKLANE_ADMIN_KEY: adminKey,
        HOOKLANE_ALLOW_PRIVATE_NETWORKS: 'true',
        HOOKLANE_ROLE: opts.role ?? 'all',
        // a worker is ready when it logs "worker running" (info); an api process answers /health
        HOOKLANE_LOG_LEVEL: opts.role === 'worker' ? 'info' : 'warn',
        ...opts.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const url = `http://127.0.0.1:${port}`;

  const proc: ServerProcess = {
    url,
    adminKey,
    child,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      return exited;
    },
    async kill9() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`hooklane exited with ${child.exitCode} while starting:\n${out}`);
    if (opts.role === 'worker') {
      if (/worker running/.test(out)) break;
    } else {
      try {
        const res = await fetch(`${url}/health`);
        if (res.ok) break;
      } catch {
        // not listening yet
      }
    }
    if (Date.now() > deadline) {
      await proc.kill9();
      throw new Error(`hooklane did not become ready within 30 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return proc;
}

/** A small JSON client for the API in tests. */
export function apiClient(baseUrl: string, key: string) {
  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(baseUrl + path, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body !== undefined ? JSON.stringify(body) : null,
    });
    const text = await res.text();
    let json: any = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    return { status: res.status, body: json, headers: res.headers };
  }
  return {
    call,
    get: (p: string) => call('GET', p),
    post: (p: string, b?: unknown, h?: Record<string, string>) => call('POST', p, b ?? {}, h),
    put: (p: string, b: unknown) => call('PUT', p, b),
    patch: (p: string, b: unknown) => call('PATCH', p, b),
    del: (p: string) => call('DELETE', p),
  };
}
