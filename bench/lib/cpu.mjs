/**
 * CPU time per operation of the processes of a scenario (all their threads, user + system, from
 * /proc), and of this harness process (the load generator). On 2 shared cores a rate moves with the
 * neighbours; CPU per operation moves far less, and it shows where a scenario's budget goes: at
 * most 2,000,000 / (sum of µs per operation) operations per second fit on the machine.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICK_US = 1e6 / 100; // USER_HZ is 100 on Linux

/**
 * CPU µs (user + system) from a /proc stat file: /proc/<pid>/stat for a whole process, all threads,
 * /proc/<pid>/task/<tid>/stat for one thread; null if it is gone or /proc is not there
 */
export function statCpuUs(path) {
  try {
    const stat = readFileSync(path, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_US;
  } catch {
    return null;
  }
}

const processCpuUs = (pid) => statCpuUs(`/proc/${pid}/stat`);

/**
 * CPU µs used by every process of this machine running `command` (its name in /proc, e.g.
 * `postgres`, `redis-server`): live ones by their own time, and for PostgreSQL's ended backends the
 * time their parent reaped (cutime + cstime of the postmaster). null if there is none. The servers
 * are local and serve nothing else during a run, so a difference over a scenario is what the
 * scenario cost them.
 */
export function commandCpuUs(command) {
  let total = 0;
  let found = false;
  let pids;
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  for (const pid of pids) {
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== command) continue;
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime, stime, cutime, cstime (fields 14–17 of proc(5))
    total += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * TICK_US;
    found = true;
  }
  return found ? total : null;
}

/** what cpuMeter measures: a pid, or `{ command, label }` for every process of a local server */
const cpuUsOf = (what) => (typeof what === 'object' ? commandCpuUs(what.command) : processCpuUs(what));
/** PostgreSQL's processes, all of them (the scenarios' databases are on the local server) */
export const POSTGRES = Object.freeze({ command: 'postgres', label: 'PostgreSQL' });
/** the local Redis server */
export const REDIS = Object.freeze({ command: 'redis-server', label: 'Redis' });

/**
 * Starts measuring `processes` ({label: pid, POSTGRES or REDIS}) and this process (as 'load generator').
 * `perOp(n)` returns {label: µs per operation} for n operations since the start.
 */
export function cpuMeter(processes = {}) {
  const start = Object.fromEntries(Object.entries(processes).map(([label, pid]) => [label, cpuUsOf(pid)]));
  const self = process.cpuUsage();
  return {
    perOp(n) {
      const used = process.cpuUsage(self);
      const out = { 'load generator': (used.user + used.system) / n };
      for (const [label, pid] of Object.entries(processes)) {
        const now = cpuUsOf(pid);
        if (now !== null && start[label] !== null) out[label] = (now - start[label]) / n;
      }
      return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Math.round(v * 10) / 10]));
    },
  };
}

/** "load generator 24 + receiver 21 = 45 µs CPU per op (at most 44,000/s on 2 cores)" */
export function describeCpu(cpu, op = 'op') {
  if (!cpu) return null;
  const parts = Object.entries(cpu).map(([k, v]) => `${k} ${v}`);
  const sum = Object.values(cpu).reduce((a, b) => a + b, 0);
  const bound = Math.round(2e6 / sum / 100) * 100;
  return `CPU µs per ${op}: ${parts.join(' + ')} = ${Math.round(sum)} (at most ${bound.toLocaleString('en-US')}/s on 2 cores)`;
}
