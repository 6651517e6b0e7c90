/** Ingest: everything that turns a request into stored events with their deliveries. */
export { buildEvent, EventIngestor, EventSchemas, type EventIngestorDeps, type NewEvent } from './events.js';
