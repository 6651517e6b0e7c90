import type { Kysely } from 'kysely';
import { HooklaneError } from '../../domain/errors.js';
import type { WebhookRepo } from '../types.js';
import type { Database } from './database.js';
import { toPage } from './page.js';
import { toWebhook, webhookRow } from './rows.js';

/** Webhooks; `delete` is engine-specific (it also cancels deliveries, in one transaction). */
export function createWebhookRepo(db: Kysely<Database>): Omit<WebhookRepo, 'delete'> {
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
      const row = await db
        .updateTable('webhooks')
        .set(fields)
        .where('tenant_id', '=', tenant_id)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row === undefined ? null : toWebhook(row);
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
