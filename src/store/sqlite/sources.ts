import type { EpochMs } from '../../domain/types.js';
import type { DedupeClaim, SourceRepo } from '../types.js';
import { sourceRequestRow } from '../kysely/sources.js';
import type { SqliteConnection } from './connection.js';

/**
 * The inbound gateway's per-request writes on SQLite, as prepared statements: a dedupe claim and a
 * request-log row for every request a source receives. Through Kysely each batch compiled a
 * multi-row statement of its own size and better-sqlite3 prepared it anew: in a bench #8 profile of
 * the SQLite thread, statement preparation and compilation were a quarter of its time, more than
 * the event ingest itself. Semantics are those of the shared repo (kysely/sources.ts).
 */
export function createSourceWrites(db: SqliteConnection): {
  /** one claim, inside the caller's transaction: the event id on record for the key afterwards */
  claimDedupeKey(claim: DedupeClaim, now: EpochMs): string;
  claimDedupeKeys(claims: readonly DedupeClaim[], now: EpochMs): string[];
  logRequests(requests: Parameters<SourceRepo['logRequests']>[0]): void;
} {
  // only an expired entry is taken over: a live one means this request is a replay
  const claim = db.prepare<[string, string, string, string, number, number], { event_id: string }>(`
    INSERT INTO source_dedupe (tenant_id, source_id, dedupe_key, event_id, expires_at)
    VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (tenant_id, source_id, dedupe_key) DO UPDATE
      SET event_id = excluded.event_id, expires_at = excluded.expires_at
      WHERE source_dedupe.expires_at <= ?
    RETURNING event_id`);
  const onRecord = db.prepare<[string, string, string], { event_id: string }>(
    'SELECT event_id FROM source_dedupe WHERE tenant_id = ? AND source_id = ? AND dedupe_key = ?',
  );
  const insertRequest = db.prepare(`
    INSERT INTO source_requests (tenant_id, id, source_id, received_at, method, headers, content_type, body_bytes,
                                 body_excerpt, status, outcome, reason, event_id)
    VALUES (@tenant_id, @id, @source_id, @received_at, @method, @headers, @content_type, @body_bytes,
            @body_excerpt, @status, @outcome, @reason, @event_id)
    ON CONFLICT DO NOTHING`);

  // A later claim of a key in the same batch finds the earlier one's live entry: it gets that
  // event id, as the shared repo answers.
  const claimOne = (c: DedupeClaim, now: EpochMs): string => {
    const won = claim.get(c.tenant_id, c.source_id, c.key, c.event_id, c.expires_at, now);
    return won?.event_id ?? onRecord.get(c.tenant_id, c.source_id, c.key)?.event_id ?? c.event_id;
  };
  const claimTx = db.transaction((claims: readonly DedupeClaim[], now: EpochMs): string[] =>
    claims.map((c) => claimOne(c, now)),
  );
  const logTx = db.transaction((requests: Parameters<SourceRepo['logRequests']>[0]) => {
    for (const r of requests) insertRequest.run(sourceRequestRow(r));
  });

  return {
    claimDedupeKey: claimOne,
    claimDedupeKeys: (claims, now) => (claims.length === 0 ? [] : claimTx.immediate(claims, now)),
    logRequests: (requests) => {
      if (requests.length > 0) logTx.immediate(requests);
    },
  };
}
