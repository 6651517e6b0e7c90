/**
 * `hooklane/sdk` must run with nothing installed but hooklane itself: every module it loads, also
 * through relative imports outside src/sdk, may import only Node built-ins at run time (`import
 * type` is erased and allowed).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ENTRY = resolve(import.meta.dirname, '../../src/sdk/index.ts');

/** runtime import/export specifiers of a TypeScript module */
function runtimeImports(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  const specs: string[] = [];
  const re = /^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gms;
  for (const m of src.matchAll(re)) if (m[2] === undefined) specs.push(m[3]!);
  for (const m of src.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) specs.push(m[1]!);
  return specs;
}

describe('hooklane/sdk dependencies', () => {
  it('loads only Node built-ins and its own modules at run time', () => {
    const seen = new Set<string>();
    const external: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const spec of runtimeImports(file)) {
        if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
        else if (!spec.startsWith('node:')) external.push(`${file}: ${spec}`);
      }
    };
    visit(ENTRY);
    expect(seen.size).toBeGreaterThan(5); // the walk followed the re-exports
    expect(external).toEqual([]);
  });
});
