/**
 * WAL checkpoints in a thread of their own (src/store/sqlite/checkpointer.ts), on a real file.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { openSqliteStoreInThread } from '../../src/store/sqlite/thread.js';
import type { Store } from '../../src/store/types.js';
import { waitFor } from '../helpers/wait.js';
import { event } from './fixtures.js';

const T0 = 1_750_000_000_000;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** ~1.6 MB of events: 400 pages of WAL, under the writer's own checkpoint threshold either way */
async function writeEvents(store: Store): Promise<void> {
  await store.tenants.create({ id: 'acme', name: 'Acme', metadata: {}, created_at: T0, updated_at: T0 });
  const payload = JSON.stringify({ pad: 'x'.repeat(4_000) });
  for (let batch = 0; batch < 4; batch++) {
    await store.events.ingest(
      Array.from({ length: 100 }, (_, i) => ({
        event: event('acme', 'user.created', T0, { id: `evt_${batch}_${i}`, payload }),
      })),
      T0,
    );
  }
}

for (const [name, open] of [
  ['in the calling thread', openSqliteStore],
  ['in its own thread', openSqliteStoreInThread],
] as const) {
  describe(`sqlite WAL checkpoints, store ${name}`, () => {
    /** a migrated store on a fresh file, ~1.6 MB of events written; `before`: the file's size before them */
    async function written(checkpoint: 'background' | 'writer') {
      const dir = mkdtempSync(join(tmpdir(), 'hooklane-checkpoint-'));
      dirs.push(dir);
      const path = join(dir, 'hooklane.db');
      const store = await open({ path, synchronous: 'NORMAL', checkpoint });
      try {
        await store.migrate();
        const before = statSync(path).size;
        await writeEvents(store);
        return { path, store, before };
      } catch (e) {
        await store.close();
        throw e;
      }
    }

    it("with checkpoint 'background', committed pages reach the database file without a checkpoint in the writer's commits", async () => {
      const { path, store, before } = await written('background');
      try {
        // the writer checkpoints itself only at 1,000 pages ('writer') or 10,000 ('background'):
        // only the checkpointer's thread copies these 400 pages into the file
        await waitFor(() => statSync(path).size > before + 1_000_000, {
          message: 'the checkpointer to copy the WAL into the database file',
        });
      } finally {
        await store.close();
      }
      // closed, with its checkpointer: the file holds everything
      const reopened = await open({ path, synchronous: 'NORMAL' });
      try {
        expect((await reopened.events.list('acme', {}, { limit: 500 })).data).toHaveLength(400);
      } finally {
        await reopened.close();
      }
    });

    it("with checkpoint 'writer', the same pages stay in the WAL until the writer's own threshold", async () => {
      const { path, store, before } = await written('writer');
      try {
        // no thread copies behind the writer: the pages are in the WAL, the file is as it was
        expect(statSync(`${path}-wal`).size).toBeGreaterThan(1_000_000);
        expect(statSync(path).size).toBeLessThan(before + 1_000_000);
      } finally {
        await store.close();
      }
    });
  });
}

describe('HOOKLANE_SQLITE_CHECKPOINT', () => {
  it("is 'background' unless set to 'writer', and refuses anything else", () => {
    expect(resolveConfig({}, {}).sqliteCheckpoint).toBe('background');
    expect(resolveConfig({}, { HOOKLANE_SQLITE_CHECKPOINT: 'writer' }).sqliteCheckpoint).toBe('writer');
    expect(() => resolveConfig({}, { HOOKLANE_SQLITE_CHECKPOINT: 'sometimes' })).toThrow(
      /HOOKLANE_SQLITE_CHECKPOINT/,
    );
  });
});
