/**
 * Runs the real `hooklane` CLI (dist/src/cli/main.js) as a child process: one-shot commands with
 * their exit code and output, and long-running ones (listen, events tail) whose output tests wait on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CLI } from '../helpers/server-process.js';
import { waitFor } from '../helpers/wait.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** env for the CLI without anything of the test runner's own hooklane settings */
function cliEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('HOOKLANE_')) base[k] = v;
  return { ...base, ...env };
}

export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\``);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: cliEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface LongRunning {
  child: ChildProcess;
  output(): string;
  /** waits until the output matches, returning the match */
  waitForOutput(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** lines printed so far that match */
  lines(re: RegExp): string[];
  /** SIGINT (Ctrl-C) and wait for the exit code */
  interrupt(): Promise<number | null>;
  kill9(): Promise<void>;
}

export function startCli(args: string[], env: Record<string, string> = {}): LongRunning {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\``);
  const child = spawn(process.execPath, [CLI, ...args], {
    env: cliEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    output: () => out,
    waitForOutput: (re, timeoutMs = 15_000) =>
      waitFor(() => out.match(re), {
        timeoutMs,
        message: () => `CLI output matching ${re}; output so far:\n${out}`,
      }),
    lines: (re) => out.split('\n').filter((l) => re.test(l)),
    async interrupt() {
      if (!running()) return child.exitCode;
      child.kill('SIGINT');
      return exited;
    },
    async kill9() {
      if (!running()) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
