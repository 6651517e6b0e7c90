import type { StoreCapabilities } from '../types.js';

/** The SQLite engine's capabilities, the same in the calling thread (index.ts) and in its own (thread.ts). */
export const SQLITE_CAPABILITIES: StoreCapabilities = Object.freeze({
  supportsSkipLocked: false,
  supportsListen: false,
  singleWriter: true,
});

/** one connection, never waited for */
export const sqlitePoolStatus = () => ({ size: 1, idle: 1, waiting: 0 });
