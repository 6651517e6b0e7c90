import type { Kysely } from 'kysely';
import { HooklaneError } from '../../domain/errors.js';
import type { DeliveryRepo } from '../types.js';
import type { Database } from './database.js';
import { toPage } from './page.js';
import { toAttempt, toDelivery } from './rows.js';

/**
 * Deliveries: reads, and the two manual writes (retry, recover), each a single guarded UPDATE so no
 * transaction is ever held across an await. `wake` runs after a write that made work due.
 */
export function createDeliveryRepo(db: Kysely<Database>, wake: () => void | Promise<void>): DeliveryRepo {
  return {
    async get(tenantId, id) {
      const row = await db
        .selectFrom('deliveries')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row === undefined ? null : toDelivery(row);
    },

    async list(tenantId, filter, { limit, before }) {
      let q = db.selectFrom('deliveries').selectAll().where('tenant_id', '=', tenantId);
      if (filter.event_id !== undefined) q = q.where('event_id', '=', filter.event_id);
      if (filter.webhook_id !== undefined) q = q.where('webhook_id', '=', filter.webhook_id);
      if (filter.status !== undefined) q = q.where('status', '=', filter.status);
      if (before != null) q = q.where('id', '<', before);
      const rows = await q
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute();
      return toPage(rows, limit, toDelivery, (r) => r.id);
    },

    async attempts(tenantId, deliveryId) {
      const rows = await db
        .selectFrom('attempts')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('delivery_id', '=', deliveryId)
        .orderBy('attempt_number', 'asc')
        .orderBy('started_at', 'asc')
        .execute();
      return rows.map(toAttempt);
    },

    async retry(tenantId, id, now) {
      const row = await db
        .updateTable('deliveries')
        .set({
          status: 'pending',
          next_attempt_at: now,
          lease_owner: null,
          lease_expires_at: null,
          completed_at: null,
          updated_at: now,
        })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        // a delivery whose lease expired is nobody's: its worker died, or its webhook is paused
        // or disabled so no worker will reclaim it; retrying it must not answer "conflict" forever
        .where((eb) => eb.or([eb('status', '<>', 'delivering'), eb('lease_expires_at', '<=', now)]))
        .returningAll()
        .executeTakeFirst();
      if (row !== undefined) {
        await wake();
        return toDelivery(row);
      }
      // Nothing updated: either it does not exist or a worker holds it right now.
      const current = await db
        .selectFrom('deliveries')
        .select('status')
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      if (current === undefined) return null;
      throw new HooklaneError(
        'conflict',
        'the delivery is being delivered right now; retry it after this attempt',
      );
    },

    async recover(tenantId, webhookId, since, until, now) {
      const res = await db
        .updateTable('deliveries')
        .set({ status: 'pending', next_attempt_at: now, completed_at: null, updated_at: now })
        .where('tenant_id', '=', tenantId)
        .where('webhook_id', '=', webhookId)
        .where('status', '=', 'failed')
        .where('created_at', '>=', since)
        .where('created_at', '<', until)
        .executeTakeFirst();
      const n = Number(res.numUpdatedRows);
      if (n > 0) await wake();
      return n;
    },
  };
}
