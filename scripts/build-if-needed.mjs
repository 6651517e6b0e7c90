// `npm start` builds when dist/ is missing or older than any source file, so a fresh clone
// runs with `npm ci && npm start` and nothing else.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execSync } from 'node:child_process';

function newest(dir) {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const entry = 'dist/src/cli/main.js';
const stale = !existsSync(entry) || newest('src') > statSync(entry).mtimeMs;
const dashboardStale = existsSync('dashboard/src') && (!existsSync('dist/dashboard/index.html') || newest('dashboard/src') > statSync('dist/dashboard/index.html').mtimeMs);
if (stale || dashboardStale) {
  console.error('hooklane: building…');
  execSync('npm run build', { stdio: 'inherit' });
}
