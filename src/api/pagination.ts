import { HooklaneError } from '../domain/errors.js';

/**
 * Opaque list cursors. The store pages by key (the last id, or name for event types); clients get
 * it wrapped in a versioned base64url token so the format can change without breaking them, and so
 * nobody builds cursors by hand.
 */
const VERSION = 'c1:';
const KEY_PATTERN = /^[a-zA-Z0-9_.:*-]{1,128}$/;

export function encodeCursor(key: string | null): string | null {
  return key === null ? null : Buffer.from(VERSION + key, 'utf8').toString('base64url');
}

/** undefined (first page) passes through; anything that is not one of our cursors is a 400 */
export function decodeCursor(cursor: string | undefined): string | null {
  if (cursor === undefined || cursor === '') return null;
  const raw = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const key = raw.startsWith(VERSION) ? raw.slice(VERSION.length) : '';
  if (!KEY_PATTERN.test(key))
    throw new HooklaneError('invalid_cursor', 'cursor is not one this API returned');
  return key;
}

export function pageResponse<T, U>(page: { data: T[]; next: string | null }, present: (item: T) => U) {
  return { data: page.data.map(present), next_cursor: encodeCursor(page.next) };
}
