/**
 * Child processes of a benchmark run: every process the harness starts is tracked here so a
 * failing scenario, Ctrl-C or an uncaught error never leaves a server, receiver or peer behind.
 */
import { fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const live = new Set();

function killAllNow() {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
process.once('exit', killAllNow);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    killAllNow();
    process.exit(130);
  });
}

/** keeps the last `max` characters a process wrote, for error messages */
function tail(max) {
  let text = '';
  return {
    add(chunk) {
      text += chunk.toString();
      if (text.length > max * 2) text = text.slice(-max);
    },
    get: () => text.slice(-max),
  };
}

function track(child, name) {
  live.add(child);
  const out = tail(8000);
  child.stdout?.on('data', (d) => out.add(d));
  child.stderr?.on('data', (d) => out.add(d));
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    }),
  );
  return {
    name,
    child,
    pid: child.pid,
    exited,
    output: out.get,
    running: () => child.exitCode === null && child.signalCode === null,
    /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit status */
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const status = await exited;
      clearTimeout(timer);
      return status;
    },
  };
}

/** a Node child with its output captured */
export function spawnNode(name, args, { env = {}, execArgv = [], cwd } = {}) {
  const child = spawn(process.execPath, [...execArgv, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return track(child, name);
}

/** a Node child with an IPC channel (receiver, bare servers, peers) */
export function forkNode(name, modulePath, args = [], { env = {}, execArgv = [] } = {}) {
  const child = fork(modulePath, args, {
    env: { ...process.env, ...env },
    execArgv,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  return track(child, name);
}

/** resolves with the first IPC message that satisfies `test`, or rejects when the child exits */
export function nextMessage(proc, test, timeoutMs = 30_000) {
  return new Promise((resolve, reject) => {
    const onMessage = (m) => {
      if (!test(m)) return;
      cleanup();
      resolve(m);
    };
    const onExit = (code) => {
      cleanup();
      reject(new Error(`${proc.name} exited (${code}) before answering:\n${proc.output()}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${proc.name} did not answer within ${timeoutMs} ms:\n${proc.output()}`));
    }, timeoutMs);
    function cleanup() {
      clearTimeout(timer);
      proc.child.off('message', onMessage);
      proc.child.off('exit', onExit);
    }
    proc.child.on('message', onMessage);
    proc.child.once('exit', onExit);
  });
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** resident set size of a process in bytes, from /proc (null once it has exited) */
export function readRss(pid) {
  return readStatusKb(pid, 'VmRSS');
}

/** the kernel's record of a process's peak resident set size, bytes */
export function readPeakRss(pid) {
  return readStatusKb(pid, 'VmHWM');
}

function readStatusKb(pid, field) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** samples a process's RSS every `intervalMs` until stopped; returns the peak seen */
export function sampleRss(pid, intervalMs = 250) {
  let peak = readRss(pid) ?? 0;
  const timer = setInterval(() => {
    const rss = readRss(pid);
    if (rss !== null && rss > peak) peak = rss;
  }, intervalMs);
  return {
    peak: () => peak,
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}
