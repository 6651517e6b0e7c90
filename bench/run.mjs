#!/usr/bin/env node
/**
 * The benchmark suite: `npm run bench` (full) or `npm run bench -- --quick` (every scenario for a
 * few seconds; CI runs it so the suite keeps working).
 *
 *   --quick          short runs and small counts
 *   --only 0,1,4     just these scenarios (plus what they need: most need the limit, #0)
 *   --profile        start hooklane with `node --cpu-prof`; profiles go to bench/results/profiles/
 *
 * The limit and every hooklane scenario run in one invocation, so each ratio compares numbers
 * taken minutes apart on the same (noisy, shared) machine. Prints one table and writes
 * bench/results/<YYYY-MM-DD>[-quick][-only].json (only the full run's file is committed). Exits 1 if a scenario failed to run (a missed target
 * is a finding, not a failure).
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { CLI, ROOT, setHooklaneRunOptions } from './lib/hooklane.mjs';
import { evaluate, machineInfo, renderTable } from './lib/report.mjs';

const BENCH = import.meta.dirname;

function parseArgs(argv) {
  const opts = { quick: false, only: null, profile: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') opts.quick = true;
    else if (a === '--profile') opts.profile = true;
    else if (a === '--only' || a.startsWith('--only=')) {
      const list = a.includes('=') ? a.slice('--only='.length) : argv[++i];
      if (!list || !/^\d+(,\d+)*$/.test(list))
        throw new Error(`--only takes a list like 0,1,4, got "${list}"`);
      opts.only = new Set(list.split(',').map(Number));
    } else throw new Error(`unknown argument "${a}" (use --quick, --only 0,1,… or --profile)`);
  }
  return opts;
}

async function loadScenarios() {
  const dir = join(BENCH, 'scenarios');
  const files = readdirSync(dir)
    .filter((f) => /^\d\d-.+\.mjs$/.test(f))
    .sort();
  return Promise.all(files.map((f) => import(join(dir, f))));
}

/** the chosen scenarios plus, transitively, the ones whose results they read */
function select(all, only) {
  if (only === null) return all;
  const byId = new Map(all.map((s) => [s.id, s]));
  for (const id of only) if (!byId.has(id)) throw new Error(`no scenario #${id}`);
  const chosen = new Set();
  const add = (id) => {
    if (chosen.has(id)) return;
    chosen.add(id);
    for (const dep of byId.get(id).needs ?? []) add(dep);
  };
  for (const id of only) add(id);
  return all.filter((s) => chosen.has(s.id));
}

/** the commit the checkout is at and whether it has uncommitted changes (what was built) */
function gitState() {
  try {
    const git = (...args) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
    return { git_commit: git('rev-parse', 'HEAD'), git_dirty: git('status', '--porcelain', 'src') !== '' };
  } catch {
    return { git_commit: null, git_dirty: null };
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const startedAt = new Date();
  const stamp = startedAt.toISOString().slice(0, 10);
  mkdirSync(join(BENCH, 'results'), { recursive: true });
  if (opts.profile) {
    const profileDir = join(BENCH, 'results', 'profiles', startedAt.toISOString().replace(/[:.]/g, '-'));
    mkdirSync(profileDir, { recursive: true });
    setHooklaneRunOptions({ profileDir });
    console.error(`bench: hooklane CPU profiles go to ${profileDir}`);
  }
  const scenarios = select(await loadScenarios(), opts.only);
  const machine = machineInfo();
  console.error(
    `bench: ${opts.quick ? 'quick' : 'full'} run of #${scenarios.map((s) => s.id).join(', #')} on ${machine.cpus} × ${machine.cpu_model}, node ${machine.node}`,
  );

  const results = new Map();
  const report = [];
  let failed = false;
  for (const s of scenarios) {
    const t0 = Date.now();
    console.error(`bench: #${s.id} ${s.title} …`);
    let entry;
    try {
      const { rows, details } = await s.run({ quick: opts.quick, results });
      entry = { id: s.id, title: s.title, rows: rows.map(evaluate), details };
      results.set(s.id, entry);
    } catch (e) {
      failed = true;
      console.error(`bench: #${s.id} failed:\n${e.stack ?? e}`);
      const message = String(e.message ?? e).split('\n')[0];
      entry = {
        id: s.id,
        title: s.title,
        rows: [evaluate({ metric: 'error', value: null, note: `failed to run: ${message}` })],
        error: String(e.stack ?? e),
      };
    }
    entry.duration_s = Math.round((Date.now() - t0) / 100) / 10;
    report.push(entry);
    console.error(`bench: #${s.id} done in ${entry.duration_s} s`);
  }

  const table = renderTable(report);
  console.log(`\nhooklane benchmark (${opts.quick ? 'quick' : 'full'}), ${startedAt.toISOString()}\n`);
  console.log(table);
  // A partial run (--only) never overwrites the day's full results.
  const suffix = `${opts.quick ? '-quick' : ''}${opts.only === null ? '' : '-only'}`;
  const file = join(BENCH, 'results', `${stamp}${suffix}.json`);
  const out = {
    started_at: startedAt.toISOString(),
    finished_at: new Date().toISOString(),
    command: `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
    quick: opts.quick,
    hooklane: { cli: CLI, ...gitState() },
    machine: { ...machine, load_average_at_end: machineInfo().load_average },
    scenarios: report,
  };
  writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
  console.log(`\nresults: ${file}`);
  // Exit explicitly: a scenario that failed half-way may leave a socket or timer behind, and the
  // exit hook in lib/procs.mjs kills any child still running.
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e.stack ?? e);
  process.exit(2);
});
