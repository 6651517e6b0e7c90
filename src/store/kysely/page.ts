import type { Page } from '../types.js';

/**
 * Keyset pages: every list asks for `limit + 1` rows, so whether a next page exists is known without
 * a COUNT, and the cursor is the id of the last row shown.
 */
export function toPage<R, T>(
  rows: R[],
  limit: number,
  map: (row: R) => T,
  idOf: (row: R) => string,
): Page<T> {
  const more = rows.length > limit;
  const shown = more ? rows.slice(0, limit) : rows;
  const last = shown[shown.length - 1];
  return { data: shown.map(map), next: more && last !== undefined ? idOf(last) : null };
}
