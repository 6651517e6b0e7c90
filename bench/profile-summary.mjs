#!/usr/bin/env node
/**
 * Summarises a V8 .cpuprofile (from `npm run bench -- --profile`): self time per function, self
 * time per file/package, and inclusive (total) time of the functions matching --grep.
 *
 *   node bench/profile-summary.mjs bench/results/profiles/<run>/hooklane-sqlite-1.cpuprofile [--top 40] [--grep claim]
 */
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--') && !/^\d+$/.test(a));
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : args[i + 1];
};
if (file === undefined) {
  console.error('usage: node bench/profile-summary.mjs <file.cpuprofile> [--top N] [--grep RE]');
  process.exit(2);
}
const top = Number(opt('top', 40));
const grep = opt('grep', null);

const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// self samples per node, from the sample list and its time deltas
const selfUs = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

const label = (n) => {
  const f = n.callFrame;
  const url = f.url.replace(/^file:\/\//, '').replace(/.*\/node_modules\//, 'npm:').replace(/.*\/dist\//, '');
  return `${f.functionName || '(anonymous)'} ${url ? `${url}:${f.lineNumber + 1}` : ''}`.trim();
};
const area = (n) => {
  const url = n.callFrame.url;
  if (url === '') return n.callFrame.functionName.startsWith('(') ? n.callFrame.functionName : '(native)';
  const m = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (m) return `npm:${m[1]}`;
  if (url.startsWith('node:')) return url;
  return url.replace(/^file:\/\//, '').replace(/.*\/dist\//, '');
};

const add = (map, key, v) => map.set(key, (map.get(key) ?? 0) + v);
const fnSelf = new Map();
const areaSelf = new Map();
for (const [id, us] of selfUs) {
  const n = byId.get(id);
  add(fnSelf, label(n), us);
  add(areaSelf, area(n), us);
}

const pct = (us) => `${((us / total) * 100).toFixed(1).padStart(5)}%`;
const print = (title, map) => {
  console.log(`\n${title}`);
  for (const [k, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)}  ${k}`);
};
console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled`);
print('self time by file / package', areaSelf);
print('self time by function', fnSelf);

if (grep !== null) {
  // inclusive time: a sample counts once for every distinct matching function on its stack
  const re = new RegExp(grep);
  const incl = new Map();
  for (const [id, us] of selfUs) {
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const l = label(byId.get(cur));
      if (re.test(l) && !seen.has(l)) {
        seen.add(l);
        add(incl, l, us);
      }
    }
  }
  print(`inclusive time of functions matching /${grep}/`, incl);
}
