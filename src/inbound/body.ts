/**
 * From an accepted request to an event's content: the body as data (JSON parsed, form fields as an
 * object, anything else as text), the event type, and the dedupe key.
 */
import { createHash } from 'node:crypto';
import { HooklaneError } from '../domain/errors.js';
import { EVENT_TYPE_PATTERN } from '../domain/ids.js';
import type { Json, SourceEventTypeRule, SourceIdRule } from '../domain/types.js';
import { header, type HeaderBag } from '../signing/providers/index.js';

const EVENT_TYPE_MAX = 128;
const DEDUPE_KEY_MAX = 200;

export type BodyKind = 'json' | 'form' | 'text';

export function bodyKind(contentType: string | null): BodyKind {
  const mime = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (mime === 'application/json' || mime.endsWith('+json')) return 'json';
  if (mime === 'application/x-www-form-urlencoded') return 'form';
  return 'text';
}

/**
 * JSON nested deeper than this is refused (the events API has the same bound): serialising, validating and storing recurse once per
 * level, and a 1 MiB body of `[` can nest 500,000 deep (it crashed the request with a 500). Real
 * provider payloads stay far below it.
 */
export const MAX_JSON_DEPTH = 64;

/** the deepest nesting of a JSON text, counted without parsing (brackets inside strings skipped) */
function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) max = depth;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/** The event data of a body: throws HooklaneError('invalid_json') for a JSON body that does not parse. */
export function parseBody(body: Buffer, kind: BodyKind): Json {
  if (body.length === 0) return null;
  const text = body.toString('utf8');
  if (kind === 'json') {
    if (jsonDepth(text) > MAX_JSON_DEPTH) {
      throw new HooklaneError('invalid_json', `body nests deeper than ${MAX_JSON_DEPTH} levels`);
    }
    try {
      return JSON.parse(text) as Json;
    } catch (e) {
      throw new HooklaneError('invalid_json', `body is not valid JSON: ${(e as Error).message}`);
    }
  }
  if (kind === 'form') {
    // repeated fields become arrays; Slack slash commands, Twilio and HTML forms send these
    // no prototype: a field named __proto__ is kept as data instead of changing the object
    const out = Object.create(null) as Record<string, Json>;
    for (const [k, v] of new URLSearchParams(text)) {
      const prev = out[k];
      if (prev === undefined) out[k] = v;
      else if (Array.isArray(prev)) prev.push(v);
      else out[k] = [prev, v];
    }
    return out;
  }
  return text;
}

/** RFC 6901 JSON Pointer; undefined when the path does not exist. */
export function jsonPointer(doc: Json, pointer: string): Json | undefined {
  if (pointer === '') return doc;
  if (!pointer.startsWith('/')) return undefined;
  let cur: Json | undefined = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9]\d*)$/.test(key)) return undefined;
      cur = cur[Number(key)];
    } else if (cur !== null && typeof cur === 'object') {
      cur = Object.prototype.hasOwnProperty.call(cur, key) ? cur[key] : undefined;
    } else return undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

function scalar(v: Json | undefined): string | undefined {
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/**
 * The event type of a request. A provider's name is made a valid event type: `/` becomes `.`
 * (Shopify's `orders/create` → `orders.create`) and other characters `_`. When the header or field
 * is absent or unusable, the type is `{prefix}unknown` (`source.unknown` without a prefix), so the
 * event is still kept.
 */
export function eventTypeOf(rule: SourceEventTypeRule, headers: HeaderBag, data: Json): string {
  if ('static' in rule) return rule.static;
  const found =
    'from_header' in rule
      ? header(headers, rule.from_header)
      : scalar(jsonPointer(data, rule.from_json_pointer));
  const prefix = rule.prefix ?? '';
  const name =
    found === undefined
      ? ''
      : found
          .trim()
          .replace(/\//g, '.')
          .replace(/[^a-zA-Z0-9_.-]/g, '_')
          .replace(/\.{2,}/g, '.')
          .replace(/^\.+|\.+$/g, '');
  const full = `${prefix}${name}`;
  if (name !== '' && full.length <= EVENT_TYPE_MAX && EVENT_TYPE_PATTERN.test(full)) return full;
  const fallback = prefix === '' ? 'source.unknown' : `${prefix}unknown`;
  return EVENT_TYPE_PATTERN.test(fallback) ? fallback : 'source.unknown';
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The replay-defence key: the provider's delivery id when the rule finds one, else the SHA-256 of
 * the body (an identical body within the window then counts as a replay).
 */
export function dedupeKeyOf(rule: SourceIdRule | null, headers: HeaderBag, data: Json, body: Buffer): string {
  let id: string | undefined;
  if (rule !== null) {
    id = 'header' in rule ? header(headers, rule.header) : scalar(jsonPointer(data, rule.json_pointer));
  }
  if (id === undefined) return `body:${sha256(body)}`;
  return id.length <= DEDUPE_KEY_MAX ? `id:${id}` : `idh:${sha256(id)}`;
}
