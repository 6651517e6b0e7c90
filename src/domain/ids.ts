import { randomBytes } from 'node:crypto';

/**
 * Prefixed, time-sortable ids: `<prefix>_` + 10 Crockford base32 chars of epoch ms + 16 random chars
 * (80 bits). Lexicographic order is creation order to the millisecond, so `ORDER BY id DESC` is
 * "newest first" and ids make stable pagination cursors.
 */
export const ID_PREFIXES = {
  tenant: 'ten',
  apiKey: 'key',
  webhook: 'wh',
  event: 'evt',
  delivery: 'dlv',
  attempt: 'att',
  source: 'src',
  request: 'req',
  listener: 'lsn',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function encodeTime(ms: number): string {
  let out = '';
  let t = ms;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[t % 32]! + out;
    t = Math.floor(t / 32);
  }
  return out;
}

// Random bytes are drawn in blocks: one randomBytes() call per id costs ~1 µs of syscall each.
let pool = Buffer.alloc(0);
let poolOffset = 0;
function randomChars(n: number): string {
  if (poolOffset + n > pool.length) {
    pool = randomBytes(4096);
    poolOffset = 0;
  }
  let out = '';
  for (let i = 0; i < n; i++) out += ALPHABET[pool[poolOffset++]! & 31];
  return out;
}

export function newId(kind: IdKind, now: number = Date.now()): string {
  return `${ID_PREFIXES[kind]}_${encodeTime(now)}${randomChars(16)}`;
}

/** The smallest id of `kind` made at `ms`: ids below it were made earlier (a `before` cursor). */
export function firstIdAt(kind: IdKind, ms: number): string {
  return `${ID_PREFIXES[kind]}_${encodeTime(Math.max(0, Math.floor(ms)))}${'0'.repeat(16)}`;
}

/** An unguessable URL token (for inbound sources, portal links): 32 random bytes, base64url. */
export function newToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export const TENANT_ID_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;
export const EVENT_ID_PATTERN = /^[a-zA-Z0-9_.:-]{1,128}$/;
/** event type names: `user.created`, `invoice.payment_failed`, `github.push` */
export const EVENT_TYPE_PATTERN = /^[a-zA-Z0-9_-]+(\.[a-zA-Z0-9_-]+)*$/;
