/**
 * The client's transport: one JSON request with auth, problem+json errors, and retries for requests
 * that are safe to repeat (the caller says which). Retried answers are 429 and every 5xx but 501
 * (a 500 may be a transient failure behind the API, such as a database failover), and network
 * errors; a Retry-After is honoured up to a minute.
 */
import { HooklaneApiError, HooklaneConnectionError } from './errors.js';
import type { Page, Problem } from './types.js';

export interface TransportOptions {
  baseUrl: string;
  apiKey: string;
  fetch?: typeof fetch;
  /** retries after the first try of a repeatable request (default 3) */
  maxRetries?: number;
  /** first backoff delay, doubled on every retry, with jitter (default 500 ms) */
  retryDelayMs?: number;
  /** per try, ms (default 30000) */
  timeoutMs?: number;
}

export type QueryValue = string | number | boolean | Date | undefined;

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** already encoded, starting with `/` */
  path: string;
  query?: Record<string, QueryValue> | undefined;
  body?: unknown;
  headers?: Record<string, string>;
  /** true when repeating the request cannot do anything twice */
  repeatable: boolean;
}

/** 429 and 5xx, except 501 Not Implemented, which no retry can change */
function isRetriedStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status !== 501);
}
const MAX_BACKOFF_MS = 10_000;
/** a server asking for a longer pause than this gets the error back instead of a silent wait */
const MAX_RETRY_AFTER_S = 60;

/** `Retry-After` as seconds (delta-seconds or an HTTP date), or undefined */
export function parseRetryAfter(value: string | null, nowMs: number = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - nowMs) / 1000));
}

/** path segment encoding: ids may contain `:` and `.`, which are fine, but never `/` or `?` */
export function seg(value: string): string {
  return encodeURIComponent(value);
}

function queryString(query: Record<string, QueryValue> | undefined): string {
  if (query === undefined) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    params.set(key, value instanceof Date ? value.toISOString() : String(value));
  }
  const s = params.toString();
  return s === '' ? '' : `?${s}`;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class Transport {
  readonly baseUrl: string;
  private readonly apiKey: string;
  private readonly fetchFn: typeof fetch;
  private readonly maxRetries: number;
  private readonly retryDelayMs: number;
  private readonly timeoutMs: number;

  constructor(opts: TransportOptions) {
    if (!/^https?:\/\//.test(opts.baseUrl))
      throw new TypeError(`baseUrl must be an http(s) URL, got "${opts.baseUrl}"`);
    if (!opts.apiKey) throw new TypeError('apiKey is required');
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.apiKey = opts.apiKey;
    this.fetchFn = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.maxRetries = opts.maxRetries ?? 3;
    this.retryDelayMs = opts.retryDelayMs ?? 500;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  async request<T>(spec: RequestSpec): Promise<T> {
    const url = this.baseUrl + spec.path + queryString(spec.query);
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.apiKey}`,
      accept: 'application/json',
      ...spec.headers,
    };
    let body: string | undefined;
    if (spec.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(spec.body);
    }
    const retries = spec.repeatable ? this.maxRetries : 0;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await this.fetchFn(url, {
          method: spec.method,
          headers,
          ...(body !== undefined ? { body } : {}),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (err) {
        if (attempt >= retries) throw new HooklaneConnectionError(this.baseUrl, err);
        await sleep(this.backoffMs(attempt));
        continue;
      }
      if (res.ok) return (await this.parseSuccess(res)) as T;
      const error = await this.toError(res);
      if (attempt >= retries || !isRetriedStatus(res.status)) throw error;
      if (error.retryAfterS !== undefined && error.retryAfterS > MAX_RETRY_AFTER_S) throw error;
      await sleep(error.retryAfterS !== undefined ? error.retryAfterS * 1000 : this.backoffMs(attempt));
    }
  }

  /** Every page of a list, item by item, following `next_cursor`. */
  async *paginate<T>(spec: RequestSpec): AsyncGenerator<T, void, undefined> {
    let cursor: string | undefined;
    for (;;) {
      const page = await this.request<Page<T>>({ ...spec, query: { ...spec.query, cursor } });
      yield* page.data;
      if (page.next_cursor === null || page.data.length === 0) return;
      cursor = page.next_cursor;
    }
  }

  /** exponential with "equal jitter": half fixed so it always backs off, half random to spread a herd */
  private backoffMs(attempt: number): number {
    const exp = Math.min(MAX_BACKOFF_MS, this.retryDelayMs * 2 ** attempt);
    return exp / 2 + Math.random() * (exp / 2);
  }

  private async parseSuccess(res: Response): Promise<unknown> {
    const text = await res.text();
    if (text === '') return undefined;
    try {
      return JSON.parse(text);
    } catch {
      throw new HooklaneApiError(res.status, {
        code: 'invalid_response',
        detail: 'the API answered with non-JSON',
      });
    }
  }

  private async toError(res: Response): Promise<HooklaneApiError> {
    const retryAfterS = parseRetryAfter(res.headers.get('retry-after'));
    const text = await res.text().catch(() => '');
    let problem: Partial<Problem> = {};
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed === 'object' && parsed !== null) problem = parsed as Partial<Problem>;
    } catch {
      // not JSON (a proxy's HTML page, …): keep a short excerpt so the message still says something
      if (text.trim() !== '') problem = { detail: text.trim().slice(0, 200) };
    }
    return new HooklaneApiError(res.status, problem, retryAfterS);
  }
}
