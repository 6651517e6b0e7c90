import type { Kysely } from 'kysely';
import type { EventTypeRepo } from '../types.js';
import type { Database } from './database.js';
import { toEventType } from './rows.js';

/** The platform-wide registry of event type names, listed in name order. */
export function createEventTypeRepo(db: Kysely<Database>): EventTypeRepo {
  return {
    // Insert-or-update as two single statements instead of one transaction: `created` must be
    // known, and INSERT … ON CONFLICT cannot tell portably whether it inserted. If the row is
    // deleted between the two, the insert is tried again.
    async upsert(input, now) {
      const schema = input.schema === null ? null : JSON.stringify(input.schema);
      for (;;) {
        const inserted = await db
          .insertInto('event_types')
          .values({
            name: input.name,
            description: input.description,
            schema,
            created_at: now,
            updated_at: now,
          })
          .onConflict((oc) => oc.column('name').doNothing())
          .returningAll()
          .executeTakeFirst();
        if (inserted !== undefined) return { eventType: toEventType(inserted), created: true };
        const updated = await db
          .updateTable('event_types')
          .set({ description: input.description, schema, updated_at: now })
          .where('name', '=', input.name)
          .returningAll()
          .executeTakeFirst();
        if (updated !== undefined) return { eventType: toEventType(updated), created: false };
      }
    },

    async get(name) {
      const row = await db.selectFrom('event_types').selectAll().where('name', '=', name).executeTakeFirst();
      return row === undefined ? null : toEventType(row);
    },

    async list({ limit, after }) {
      let q = db.selectFrom('event_types').selectAll();
      if (after != null) q = q.where('name', '>', after);
      const rows = await q
        .orderBy('name', 'asc')
        .limit(limit + 1)
        .execute();
      const more = rows.length > limit;
      const shown = more ? rows.slice(0, limit) : rows;
      return { data: shown.map(toEventType), next: more ? (shown[shown.length - 1]?.name ?? null) : null };
    },

    async delete(name) {
      const res = await db.deleteFrom('event_types').where('name', '=', name).executeTakeFirst();
      return Number(res.numDeletedRows) > 0;
    },
  };
}
