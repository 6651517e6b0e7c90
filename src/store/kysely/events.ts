import type { Kysely } from 'kysely';
import { HooklaneError } from '../../domain/errors.js';
import type { EventRepo } from '../types.js';
import type { Database } from './database.js';
import { toPage } from './page.js';
import { toEvent } from './rows.js';

/**
 * Reading events; `ingest` is each engine's hot SQL. Event ids may be chosen by the sender, so lists
 * order by (created_at, id), newest first, and `since`/`until` bound created_at as [since, until).
 */
export function createEventRepo(db: Kysely<Database>): Omit<EventRepo, 'ingest'> {
  return {
    async get(tenantId, id) {
      const row = await db
        .selectFrom('events')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row === undefined ? null : toEvent(row);
    },

    async list(tenantId, filter, { limit, before }) {
      let q = db.selectFrom('events').selectAll().where('tenant_id', '=', tenantId);
      if (filter.type !== undefined) q = q.where('type', '=', filter.type);
      if (filter.source_id !== undefined) q = q.where('source_id', '=', filter.source_id);
      if (filter.since !== undefined) q = q.where('created_at', '>=', filter.since);
      if (filter.until !== undefined) q = q.where('created_at', '<', filter.until);
      if (before != null) {
        const cursor = await db
          .selectFrom('events')
          .select('created_at')
          .where('tenant_id', '=', tenantId)
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
      return toPage(rows, limit, toEvent, (r) => r.id);
    },
  };
}
