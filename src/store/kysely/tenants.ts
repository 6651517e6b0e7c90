import type { Kysely } from 'kysely';
import { HooklaneError } from '../../domain/errors.js';
import type { Tenant } from '../../domain/types.js';
import type { TenantRepo } from '../types.js';
import type { Database } from './database.js';
import { toPage } from './page.js';
import { tenantRow, toTenant } from './rows.js';

/**
 * Tenant ids may be chosen by the caller (`acme`), so id order is not creation order: lists order
 * by (created_at, id) and the cursor id is resolved to its created_at first.
 */
export function createTenantRepo(db: Kysely<Database>): Omit<TenantRepo, 'delete'> {
  return {
    async create(tenant: Tenant) {
      const res = await db
        .insertInto('tenants')
        .values(tenantRow(tenant))
        .onConflict((oc) => oc.column('id').doNothing())
        .executeTakeFirst();
      if (Number(res.numInsertedOrUpdatedRows ?? 0n) === 0) {
        throw new HooklaneError('conflict', `tenant ${tenant.id} already exists`);
      }
    },

    async get(id) {
      const row = await db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? null : toTenant(row);
    },

    async list({ limit, before }) {
      let q = db.selectFrom('tenants').selectAll();
      if (before != null) {
        const cursor = await db
          .selectFrom('tenants')
          .select('created_at')
          .where('id', '=', before)
          .executeTakeFirst();
        if (cursor === undefined) throw new HooklaneError('invalid_cursor');
        const at = cursor.created_at;
        q = q.where((eb) =>
          eb.or([eb('created_at', '<', at), eb.and([eb('created_at', '=', at), eb('id', '<', before)])]),
        );
      }
      const rows = await q
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute();
      return toPage(rows, limit, toTenant, (r) => r.id);
    },

    async update(id, patch, now) {
      const row = await db
        .updateTable('tenants')
        .set({
          updated_at: now,
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.metadata !== undefined ? { metadata: JSON.stringify(patch.metadata) } : {}),
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row === undefined ? null : toTenant(row);
    },
  };
}
