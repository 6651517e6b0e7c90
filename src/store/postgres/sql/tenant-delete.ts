import type pg from 'pg';
import { inTransaction } from '../transaction.js';

/**
 * tenants.delete: everything of the tenant, in one transaction. attempts, deliveries and webhook_due
 * are deleted explicitly (attempts and webhook_due have no foreign key; deleting deliveries by
 * tenant_id walks the primary key once instead of cascading row by row from events); the tenant's
 * delete then cascades to its api keys, webhooks and events.
 */
export async function deleteTenant(pool: pg.Pool, tenantId: string): Promise<boolean> {
  return inTransaction(pool, async (client) => {
    await client.query({
      name: 'hooklane_tenant_delete_attempts',
      text: 'DELETE FROM attempts WHERE tenant_id = $1',
      values: [tenantId],
    });
    await client.query({
      name: 'hooklane_tenant_delete_deliveries',
      text: 'DELETE FROM deliveries WHERE tenant_id = $1',
      values: [tenantId],
    });
    await client.query({
      name: 'hooklane_tenant_delete_webhook_due',
      text: 'DELETE FROM webhook_due WHERE tenant_id = $1',
      values: [tenantId],
    });
    const res = await client.query({
      name: 'hooklane_tenant_delete',
      text: 'DELETE FROM tenants WHERE id = $1',
      values: [tenantId],
    });
    return (res.rowCount ?? 0) > 0;
  });
}
