import type { Kysely } from 'kysely';
import { HooklaneError } from '../../domain/errors.js';
import type { ApiKeyRepo } from '../types.js';
import type { Database } from './database.js';
import { toPage } from './page.js';
import { apiKeyRow, toApiKey } from './rows.js';

/** Api keys: platform keys have tenant_id NULL; ids are generated, so id order is creation order. */
export function createApiKeyRepo(db: Kysely<Database>): ApiKeyRepo {
  return {
    async create(key) {
      const res = await db
        .insertInto('api_keys')
        .values(apiKeyRow(key))
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      if (Number(res.numInsertedOrUpdatedRows ?? 0n) === 0)
        throw new HooklaneError('conflict', 'api key already exists');
    },

    async findByHash(keyHash) {
      const row = await db
        .selectFrom('api_keys')
        .selectAll()
        .where('key_hash', '=', keyHash)
        .executeTakeFirst();
      return row === undefined ? null : toApiKey(row);
    },

    async list(tenantId, { limit, before }) {
      let q = db.selectFrom('api_keys').selectAll();
      q = tenantId === null ? q.where('tenant_id', 'is', null) : q.where('tenant_id', '=', tenantId);
      if (before != null) q = q.where('id', '<', before);
      const rows = await q
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute();
      return toPage(rows, limit, toApiKey, (r) => r.id);
    },

    async delete(tenantId, id) {
      let q = db.deleteFrom('api_keys').where('id', '=', id);
      q = tenantId === null ? q.where('tenant_id', 'is', null) : q.where('tenant_id', '=', tenantId);
      const res = await q.executeTakeFirst();
      return Number(res.numDeletedRows) > 0;
    },

    async countPlatformKeys() {
      const row = await db
        .selectFrom('api_keys')
        .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
        .where('tenant_id', 'is', null)
        .executeTakeFirstOrThrow();
      // PostgreSQL's count() is BIGINT; depending on the pool's type parser it arrives as a number or a string
      return Number(row.n);
    },
  };
}
