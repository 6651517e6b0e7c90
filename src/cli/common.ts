/**
 * What the API-calling commands share: the --server/--api-key/--tenant options (with their
 * environment variables), the SDK client, and errors that end the command with one line.
 */
import { Option, type Command } from 'commander';
import { Hooklane } from '../sdk/client.js';
import { HooklaneApiError } from '../sdk/errors.js';

export const DEFAULT_SERVER = 'http://127.0.0.1:8080';

/** an error whose message is all the user needs: printed as `hooklane: <message>`, exit 1 */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

export interface ConnectionFlags {
  server?: string;
  apiKey?: string;
}

export interface TenantFlags extends ConnectionFlags {
  tenant?: string;
}

type Env = Record<string, string | undefined>;

export function addConnectionOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--server <url>', `hooklane server URL (HOOKLANE_SERVER, default ${DEFAULT_SERVER})`),
    )
    .addOption(new Option('--api-key <key>', 'api key (HOOKLANE_API_KEY, else HOOKLANE_ADMIN_KEY)'));
}

export function addTenantOption(cmd: Command): Command {
  return cmd.addOption(
    new Option('-t, --tenant <id>', "tenant id (HOOKLANE_TENANT; default: a tenant key's own tenant)"),
  );
}

export function serverUrl(flags: ConnectionFlags, env: Env = process.env): string {
  const raw = (flags.server ?? env.HOOKLANE_SERVER ?? DEFAULT_SERVER).trim().replace(/\/+$/, '');
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new CliError(`--server must be an http(s) URL, got "${raw}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new CliError(`--server must be an http(s) URL, got "${raw}"`);
  return raw;
}

export function apiKey(flags: ConnectionFlags, env: Env = process.env): string {
  const key = (flags.apiKey ?? env.HOOKLANE_API_KEY ?? env.HOOKLANE_ADMIN_KEY ?? '').trim();
  if (key === '') throw new CliError('an api key is needed: pass --api-key or set HOOKLANE_API_KEY');
  return key;
}

/**
 * The tenant to act on: --tenant, else HOOKLANE_TENANT, else the tenant of the api key itself (a
 * tenant's key belongs to exactly one; the platform key to none, so it must name one).
 */
export async function resolveTenant(
  flags: TenantFlags,
  client: Hooklane,
  env: Env = process.env,
): Promise<string> {
  const t = (flags.tenant ?? env.HOOKLANE_TENANT ?? '').trim();
  if (t !== '') return t;
  const needed = 'a tenant is needed: pass --tenant or set HOOKLANE_TENANT';
  let me: Awaited<ReturnType<Hooklane['me']>>;
  try {
    me = await client.me();
  } catch (e) {
    // a server from before GET /v1/me cannot say
    if (e instanceof HooklaneApiError && e.status === 404) throw new CliError(needed);
    throw e;
  }
  if (me.tenant_id === null) throw new CliError(`${needed} (the platform key is not bound to one)`);
  return me.tenant_id;
}

/** The SDK client for these flags. `maxRetries` 0 makes an unreachable server fail at once. */
export function clientFor(flags: ConnectionFlags, opts: { maxRetries?: number } = {}): Hooklane {
  return new Hooklane({
    baseUrl: serverUrl(flags),
    apiKey: apiKey(flags),
    maxRetries: opts.maxRetries ?? 2,
    timeoutMs: 15_000,
  });
}

/** `--data` and friends: inline JSON, `@file.json`, or `-` for stdin */
export async function readJsonArg(name: string, value: string): Promise<unknown> {
  let text = value;
  if (value === '-') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    text = Buffer.concat(chunks).toString('utf8');
  } else if (value.startsWith('@')) {
    const { readFile } = await import('node:fs/promises');
    try {
      text = await readFile(value.slice(1), 'utf8');
    } catch (e) {
      throw new CliError(`${name}: cannot read ${value.slice(1)}: ${(e as NodeJS.ErrnoException).code ?? e}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CliError(`${name} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** prints a result for people and scripts alike: pretty JSON on stdout */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
