import type { Kysely } from 'kysely';
import { HooklaneError } from '../../domain/errors.js';
import type { WebhookRepo } from '../types.js';
import type { Database } from './database.js';
import { toPage } from './page.js';
import { toWebhook, webhookRow } from './rows.js';

/** A webhook whose deliveries queue.claim takes (the claim's own condition). */
function claimable(w: { active: number; paused: number }): boolean {
  return w.active === 1 && w.paused === 0;
}

/**
 * Webhooks; `delete` is engine-specific (it also cancels deliveries, in one transaction). `wake`
 * runs after an update that made a webhook claimable again (resumed, re-enabled): its backlog is due
 * now, and without a wake it would wait for the dispatchers' poll floor.
 */
export function createWebhookRepo(
  db: Kysely<Database>,
  wake: () => void | Promise<void>,
): Omit<WebhookRepo, 'delete'> {
  return {
    async create(webhook) {
      const res = await db
        .insertInto('webhooks')
        .values(webhookRow(webhook))
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      if (Number(res.numInsertedOrUpdatedRows ?? 0n) === 0) {
        throw new HooklaneError('conflict', `webhook ${webhook.id} already exists`);
      }
    },

    async get(tenantId, id) {
      const row = await db
        .selectFrom('webhooks')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row === undefined ? null : toWebhook(row);
    },

    async list(tenantId, { limit, before }) {
      let q = db.selectFrom('webhooks').selectAll().where('tenant_id', '=', tenantId);
      if (before != null) q = q.where('id', '<', before);
      const rows = await q
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute();
      return toPage(rows, limit, toWebhook, (r) => r.id);
    },

    async update(webhook) {
      // identity and creation time are not mutable; everything else is written as given
      const { tenant_id, id, created_at: _created, ...fields } = webhookRow(webhook);
      // Whether it was claimable before, read apart from the write: this layer holds no transaction
      // (see index.ts). A concurrent write in between can at worst cost or spare one wake, and the
      // dispatchers' polling is the floor. Only a change to claimable wakes, so the frequent writes
      // that keep a webhook as it was (`hooklane listen` marking its webhook alive) notify nobody.
      const before = await db
        .selectFrom('webhooks')
        .select(['active', 'paused'])
        .where('tenant_id', '=', tenant_id)
        .where('id', '=', id)
        .executeTakeFirst();
      if (before === undefined) return null;
      const row = await db
        .updateTable('webhooks')
        .set(fields)
        .where('tenant_id', '=', tenant_id)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      if (row === undefined) return null;
      if (claimable(row) && !claimable(before)) await wake();
      return toWebhook(row);
    },

    async disable(tenantId, id, reason, now) {
      await db
        .updateTable('webhooks')
        .set({ active: 0, disabled_reason: reason, updated_at: now })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .execute();
    },
  };
}
