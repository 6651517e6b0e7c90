import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The compiled script `name` (e.g. `thread-worker.js`) of a worker thread that lives beside this
 * module. Run from TypeScript sources (vitest), this module is a .ts file and Node 20 cannot run a
 * .ts worker: the build's copy under dist/ is used then (`npm test` builds first).
 */
export function workerScript(name: string): URL {
  const beside = new URL(`./${name}`, import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  const built = new URL(
    import.meta.url.replace(/\/src\/store\/sqlite\/worker-script\.ts$/, `/dist/src/store/sqlite/${name}`),
  );
  if (built.href !== beside.href && existsSync(fileURLToPath(built))) return built;
  throw new Error(`the SQLite worker script ${fileURLToPath(beside)} is missing: run npm run build`);
}
