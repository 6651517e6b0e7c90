/**
 * Inbound sources, their URL tokens, their replay-defence entries and their request logs: ordinary
 * CRUD shared by both engines. Every method is one statement, or a few independent ones in an order
 * that is safe if the process stops between them (never a transaction: see ./index.ts).
 *
 * The tables (migration 2) are declared here rather than in ./database.ts so the inbound gateway
 * stays one self-contained piece; `withTables` adds them to the shared Kysely instance's view.
 */
import type { Kysely } from 'kysely';
import { HooklaneError } from '../../domain/errors.js';
import type {
  JsonObject,
  Source,
  SourceEventTypeRule,
  SourceIdRule,
  SourceRequest,
  SourceRequestOutcome,
  SourceVerification,
} from '../../domain/types.js';
import type { SourceRepo } from '../types.js';
import type { Database } from './database.js';
import { toPage } from './page.js';

export interface SourcesTable {
  tenant_id: string;
  id: string;
  name: string;
  token: string;
  active: number;
  verification: string;
  tolerance_s: number;
  event_type: string | null;
  id_from: string | null;
  dedupe_window_s: number;
  rate_limit_per_s: number | null;
  max_body_bytes: number;
  schema: string | null;
  created_at: number;
  updated_at: number;
}

export interface SourceTokensTable {
  token_hash: string;
  tenant_id: string;
  source_id: string;
  expires_at: number | null;
}

export interface SourceDedupeTable {
  tenant_id: string;
  source_id: string;
  dedupe_key: string;
  event_id: string;
  expires_at: number;
}

export interface SourceRequestsTable {
  tenant_id: string;
  id: string;
  source_id: string;
  received_at: number;
  method: string;
  headers: string;
  content_type: string | null;
  body_bytes: number;
  body_excerpt: string | null;
  status: number;
  outcome: string;
  reason: string | null;
  event_id: string | null;
}

export type SourceTables = {
  sources: SourcesTable;
  source_tokens: SourceTokensTable;
  source_dedupe: SourceDedupeTable;
  source_requests: SourceRequestsTable;
};

/** rows per INSERT of request logs: 13 parameters each stays far below SQLite's 32,766 */
const LOG_ROWS_PER_STATEMENT = 500;
/** dedupe claims per statement (5 parameters each) */
const DEDUPE_ROWS_PER_STATEMENT = 500;

/**
 * The verification column holds the verification and, while a rotated-out provider secret is in
 * its grace period, `previous_secrets` beside it (so a rotation needs no column of its own).
 */
function verificationOf(text: string): Pick<Source, 'verification' | 'previous_secrets'> {
  const { previous_secrets, ...verification } = JSON.parse(text) as SourceVerification & {
    previous_secrets?: Source['previous_secrets'];
  };
  return { verification: verification as SourceVerification, previous_secrets: previous_secrets ?? [] };
}

export function toSource(r: SourcesTable): Source {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    name: r.name,
    token: r.token,
    active: r.active === 1,
    ...verificationOf(r.verification),
    tolerance_s: r.tolerance_s,
    event_type: r.event_type === null ? null : (JSON.parse(r.event_type) as SourceEventTypeRule),
    id_from: r.id_from === null ? null : (JSON.parse(r.id_from) as SourceIdRule),
    dedupe_window_s: r.dedupe_window_s,
    rate_limit_per_s: r.rate_limit_per_s,
    max_body_bytes: r.max_body_bytes,
    schema: r.schema === null ? null : (JSON.parse(r.schema) as JsonObject),
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

export function sourceRow(s: Source): SourcesTable {
  return {
    tenant_id: s.tenant_id,
    id: s.id,
    name: s.name,
    token: s.token,
    active: s.active ? 1 : 0,
    verification: JSON.stringify(
      s.previous_secrets.length === 0
        ? s.verification
        : { ...s.verification, previous_secrets: s.previous_secrets },
    ),
    tolerance_s: s.tolerance_s,
    event_type: s.event_type === null ? null : JSON.stringify(s.event_type),
    id_from: s.id_from === null ? null : JSON.stringify(s.id_from),
    dedupe_window_s: s.dedupe_window_s,
    rate_limit_per_s: s.rate_limit_per_s,
    max_body_bytes: s.max_body_bytes,
    schema: s.schema === null ? null : JSON.stringify(s.schema),
    created_at: s.created_at,
    updated_at: s.updated_at,
  };
}

function toSourceRequest(r: SourceRequestsTable): SourceRequest {
  return {
    tenant_id: r.tenant_id,
    id: r.id,
    source_id: r.source_id,
    received_at: r.received_at,
    method: r.method,
    headers: JSON.parse(r.headers) as Record<string, string>,
    content_type: r.content_type,
    body_bytes: r.body_bytes,
    body_excerpt: r.body_excerpt,
    status: r.status,
    outcome: r.outcome as SourceRequestOutcome,
    reason: r.reason,
    event_id: r.event_id,
  };
}

/** PostgreSQL TEXT cannot hold NUL; a binary body's excerpt shows U+FFFD there instead */
function withoutNul(text: string | null): string | null {
  return text === null || !text.includes('\0') ? text : text.replace(/\0/g, '\uFFFD');
}

export function sourceRequestRow(q: SourceRequest): SourceRequestsTable {
  return { ...q, headers: JSON.stringify(q.headers), body_excerpt: withoutNul(q.body_excerpt) };
}

export function createSourceRepo(shared: Kysely<Database>): SourceRepo {
  const db = shared.withTables<SourceTables>();

  const get = async (tenantId: string, id: string): Promise<Source | null> => {
    const row = await db
      .selectFrom('sources')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? null : toSource(row);
  };

  return {
    async create(source, tokenHash) {
      const res = await db
        .insertInto('sources')
        .values(sourceRow(source))
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      if (Number(res.numInsertedOrUpdatedRows ?? 0n) === 0) {
        throw new HooklaneError('conflict', `source ${source.id} already exists`);
      }
      // After the source row, so a token never routes to nothing; a source whose token insert
      // failed is removed again rather than left without a URL.
      try {
        await db
          .insertInto('source_tokens')
          .values({
            token_hash: tokenHash,
            tenant_id: source.tenant_id,
            source_id: source.id,
            expires_at: null,
          })
          .execute();
      } catch (e) {
        await db
          .deleteFrom('sources')
          .where('tenant_id', '=', source.tenant_id)
          .where('id', '=', source.id)
          .execute();
        throw e;
      }
    },

    get,

    async list(tenantId, { limit, before }) {
      let q = db.selectFrom('sources').selectAll().where('tenant_id', '=', tenantId);
      if (before != null) q = q.where('id', '<', before);
      const rows = await q
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute();
      return toPage(rows, limit, toSource, (r) => r.id);
    },

    async update(source) {
      const { tenant_id, id, created_at: _created, token: _token, ...fields } = sourceRow(source);
      const row = await db
        .updateTable('sources')
        .set(fields)
        .where('tenant_id', '=', tenant_id)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row === undefined ? null : toSource(row);
    },

    async delete(tenantId, id) {
      // tokens, dedupe entries and the request log go with it (foreign keys cascade)
      const res = await db
        .deleteFrom('sources')
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(res.numDeletedRows) > 0;
    },

    async findByTokenHash(tokenHash, now) {
      const row = await db
        .selectFrom('source_tokens as t')
        .innerJoin('sources as s', (join) =>
          join.onRef('s.tenant_id', '=', 't.tenant_id').onRef('s.id', '=', 't.source_id'),
        )
        .selectAll('s')
        .select('t.expires_at as token_expires_at')
        .where('t.token_hash', '=', tokenHash)
        .where((eb) => eb.or([eb('t.expires_at', 'is', null), eb('t.expires_at', '>', now)]))
        .executeTakeFirst();
      if (row === undefined) return null;
      const { token_expires_at, ...source } = row;
      return { source: toSource(source), expires_at: token_expires_at };
    },

    async rotateToken(tenantId, id, token, tokenHash, oldTokensExpireAt, now) {
      if ((await get(tenantId, id)) === null) return null;
      // Order matters if the process stops half way: the new token routes first, then the source
      // shows it, then the old ones are given their end (or removed).
      await db
        .insertInto('source_tokens')
        .values({ token_hash: tokenHash, tenant_id: tenantId, source_id: id, expires_at: null })
        .execute();
      const row = await db
        .updateTable('sources')
        .set({ token, updated_at: now })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      if (oldTokensExpireAt <= now) {
        await db
          .deleteFrom('source_tokens')
          .where('tenant_id', '=', tenantId)
          .where('source_id', '=', id)
          .where('token_hash', '!=', tokenHash)
          .execute();
      } else {
        // a token already expiring sooner keeps its earlier end
        await db
          .updateTable('source_tokens')
          .set({ expires_at: oldTokensExpireAt })
          .where('tenant_id', '=', tenantId)
          .where('source_id', '=', id)
          .where('token_hash', '!=', tokenHash)
          .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', oldTokensExpireAt)]))
          .execute();
      }
      return row === undefined ? null : toSource(row);
    },

    async claimDedupeKeys(claims, now) {
      if (claims.length === 0) return [];
      // one row per distinct key: PostgreSQL refuses to upsert the same row twice in one statement
      const keyOf = (c: { tenant_id: string; source_id: string; key: string }) =>
        `${c.tenant_id}\n${c.source_id}\n${c.key}`;
      const firstByKey = new Map<string, (typeof claims)[number]>();
      for (const c of claims) if (!firstByKey.has(keyOf(c))) firstByKey.set(keyOf(c), c);
      const distinct = [...firstByKey.values()];
      const onRecord = new Map<string, string>();
      for (let i = 0; i < distinct.length; i += DEDUPE_ROWS_PER_STATEMENT) {
        const chunk = distinct.slice(i, i + DEDUPE_ROWS_PER_STATEMENT);
        const won = await db
          .insertInto('source_dedupe')
          .values(
            chunk.map((c) => ({
              tenant_id: c.tenant_id,
              source_id: c.source_id,
              dedupe_key: c.key,
              event_id: c.event_id,
              expires_at: c.expires_at,
            })),
          )
          .onConflict((oc) =>
            oc
              .columns(['tenant_id', 'source_id', 'dedupe_key'])
              .doUpdateSet((eb) => ({
                event_id: eb.ref('excluded.event_id'),
                expires_at: eb.ref('excluded.expires_at'),
              }))
              // only an expired entry is taken over: a live one means this is a replay
              .where('source_dedupe.expires_at', '<=', now),
          )
          .returning(['tenant_id', 'source_id', 'dedupe_key', 'event_id'])
          .execute();
        for (const r of won) onRecord.set(keyOf({ ...r, key: r.dedupe_key }), r.event_id);
        const lost = chunk.filter((c) => !onRecord.has(keyOf(c)));
        if (lost.length > 0) {
          const rows = await db
            .selectFrom('source_dedupe')
            .select(['tenant_id', 'source_id', 'dedupe_key', 'event_id'])
            .where((eb) =>
              eb.or(
                lost.map((c) =>
                  eb.and([
                    eb('tenant_id', '=', c.tenant_id),
                    eb('source_id', '=', c.source_id),
                    eb('dedupe_key', '=', c.key),
                  ]),
                ),
              ),
            )
            .execute();
          for (const r of rows) onRecord.set(keyOf({ ...r, key: r.dedupe_key }), r.event_id);
        }
      }
      // an entry gone in between (its source deleted) leaves the claim's own id standing
      return claims.map((c) => onRecord.get(keyOf(c)) ?? firstByKey.get(keyOf(c))!.event_id);
    },

    async prune(now) {
      const dedupe = await db.deleteFrom('source_dedupe').where('expires_at', '<=', now).executeTakeFirst();
      const tokens = await db
        .deleteFrom('source_tokens')
        .where('expires_at', 'is not', null)
        .where('expires_at', '<=', now)
        .executeTakeFirst();
      return Number(dedupe.numDeletedRows) + Number(tokens.numDeletedRows);
    },

    async logRequests(requests) {
      for (let i = 0; i < requests.length; i += LOG_ROWS_PER_STATEMENT) {
        const rows = requests.slice(i, i + LOG_ROWS_PER_STATEMENT).map(sourceRequestRow);
        // a request whose source was deleted meanwhile is dropped, not an error
        await db
          .insertInto('source_requests')
          .values(rows)
          .onConflict((oc) => oc.doNothing())
          .execute();
      }
    },

    async requests(tenantId, sourceId, { limit, before }) {
      let q = db
        .selectFrom('source_requests')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('source_id', '=', sourceId);
      if (before != null) q = q.where('id', '<', before);
      const rows = await q
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute();
      return toPage(rows, limit, toSourceRequest, (r) => r.id);
    },
  };
}
