/**
 * IngestInput.dedupe: the claim of an input's key, and what a lost claim makes of the input. Both
 * engines use these; `ingestWithDedupe` is the whole flow for an engine whose ingest cannot claim
 * the key inside its own statement
 * (PostgreSQL's ingest is one multi-CTE statement): the batch's keys are claimed first, in one
 * statement (SourceRepo.claimDedupeKeys), then the winners are ingested. Between the two a crash
 * can leave a key on record without its event; the next replay then gets `rekeyTo` and the
 * gateway stores it under the recorded id, so the event is still stored exactly once.
 */
import type { EpochMs, Event } from '../domain/types.js';
import type { DedupeClaim, IngestInput, IngestResult } from './types.js';

/** the claim an input makes on its source's dedupe key, or null when it makes none */
export function dedupeClaimOf({ event, dedupe }: IngestInput): DedupeClaim | null {
  if (dedupe === undefined || event.source_id === null) return null;
  return {
    tenant_id: event.tenant_id,
    source_id: event.source_id,
    key: dedupe.key,
    event_id: event.id,
    expires_at: dedupe.expires_at,
  };
}

/**
 * The result of an input whose key is on record for another event id: a duplicate of that event
 * when it is stored (`original`), else nothing stored and `rekeyTo` that id.
 */
export function lostClaimResult(event: Event, recordedId: string, original: Event | null): IngestResult {
  return original === null
    ? { event, duplicate: false, deliveries: 0, rekeyTo: recordedId }
    : { event: original, duplicate: true, deliveries: 0 };
}

export interface DedupeIngestDeps {
  claim(claims: DedupeClaim[], now: EpochMs): Promise<string[]>;
  get(tenantId: string, id: string): Promise<Event | null>;
  ingest(inputs: IngestInput[], now: EpochMs): Promise<IngestResult[]>;
}

export async function ingestWithDedupe(
  inputs: IngestInput[],
  now: EpochMs,
  deps: DedupeIngestDeps,
): Promise<IngestResult[]> {
  const claiming: number[] = [];
  const claims: DedupeClaim[] = [];
  inputs.forEach((input, i) => {
    const claim = dedupeClaimOf(input);
    if (claim === null) return;
    claiming.push(i);
    claims.push(claim);
  });
  if (claims.length === 0) return deps.ingest(inputs, now);

  const recorded = await deps.claim(claims, now);
  const results = new Array<IngestResult | undefined>(inputs.length);
  for (let k = 0; k < claiming.length; k++) {
    const i = claiming[k]!;
    const { event } = inputs[i]!;
    const id = recorded[k]!;
    if (id === event.id) continue;
    results[i] = lostClaimResult(event, id, await deps.get(event.tenant_id, id));
  }
  const rest: number[] = [];
  for (let i = 0; i < inputs.length; i++) if (results[i] === undefined) rest.push(i);
  const stored = await deps.ingest(
    rest.map((i) => {
      const { dedupe: _claimed, ...input } = inputs[i]!;
      return input;
    }),
    now,
  );
  rest.forEach((i, k) => (results[i] = stored[k]));
  return results as IngestResult[];
}
