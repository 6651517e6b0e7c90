/**
 * The messages between the main thread and the SQLite thread (thread.ts ↔ thread-worker.ts), and
 * the two things structured cloning does not carry on its own: errors keep their hooklane class
 * and code, and Buffers (an event's raw body) stay Buffers instead of arriving as Uint8Arrays.
 */
import { HooklaneError, type ErrorCode, type FieldError } from '../../domain/errors.js';
import type { Event } from '../../domain/types.js';
import type { ClaimedDelivery } from '../types.js';

/** events.ingest's result as it crosses threads: a duplicate's original, else nothing to copy */
export interface SlimIngestResult {
  duplicate: boolean;
  deliveries: number;
  original: Event | null;
  /** leased deliveries without their event, which the main thread has (a webhook object shared by several is copied once) */
  leased: Omit<ClaimedDelivery, 'event'>[] | null;
  rekeyTo: string | null;
}

/** main → SQLite thread: call `store[ns][method](...args)` (ns null: `store[method]`) */
export interface CallMessage {
  id: number;
  ns: string | null;
  method: string;
  args: unknown[];
}

export type ReplyMessage =
  | { type: 'reply'; id: number; ok: true; value: unknown }
  | { type: 'reply'; id: number; ok: false; error: SerializedError }
  /** new work may be due (a commit in the SQLite thread) */
  | { type: 'wake' }
  /** the store is open (or could not be opened) */
  | { type: 'ready'; ok: true }
  | { type: 'ready'; ok: false; error: SerializedError };

export type SerializedError =
  | {
      kind: 'hooklane';
      code: ErrorCode;
      message: string;
      errors: FieldError[] | undefined;
      retryAfterS: number | undefined;
    }
  | { kind: 'error'; name: string; message: string; code: unknown; stack: string | undefined };

export function serializeError(err: unknown): SerializedError {
  if (err instanceof HooklaneError) {
    return {
      kind: 'hooklane',
      code: err.code,
      message: err.message,
      errors: err.errors,
      retryAfterS: err.retryAfterS,
    };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return {
    kind: 'error',
    name: e.name,
    message: e.message,
    code: (e as { code?: unknown }).code,
    stack: e.stack,
  };
}

export function deserializeError(s: SerializedError): Error {
  if (s.kind === 'hooklane') {
    return new HooklaneError(s.code, s.message, {
      ...(s.errors !== undefined ? { errors: s.errors } : {}),
      ...(s.retryAfterS !== undefined ? { retryAfterS: s.retryAfterS } : {}),
    });
  }
  const e = new Error(s.message);
  e.name = s.name;
  if (s.code !== undefined) (e as { code?: unknown }).code = s.code;
  // the SQLite thread's stack says where it failed; the caller's own frames come first
  if (s.stack !== undefined) e.stack = `${e.stack ?? ''}\n    --- in the SQLite thread ---\n${s.stack}`;
  return e;
}

/**
 * Structured cloning delivers a Buffer as a plain Uint8Array: turn those back into Buffers (a view
 * on the same memory, no copy), in place. Walks arrays and plain objects only.
 */
export function restoreBuffers(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Uint8Array) {
    return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (v !== null && typeof v === 'object') value[i] = restoreBuffers(v);
    }
    return value;
  }
  const obj = value as Record<string, unknown>;
  for (const key in obj) {
    const v = obj[key];
    if (v !== null && typeof v === 'object') obj[key] = restoreBuffers(v);
  }
  return value;
}
