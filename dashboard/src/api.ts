/**
 * The dashboard's only way to the server: bearer-authenticated JSON calls, problem+json errors turned
 * into sentences, and the live stream read with fetch (EventSource cannot send an Authorization header).
 */
export interface Problem {
  status: number;
  title: string;
  detail: string;
  code: string;
  errors?: { path: string; message: string }[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | null,
    message: string,
  ) {
    super(message);
  }
}

export interface WhoAmI {
  kind: 'platform' | 'tenant';
  tenant_id: string | null;
  role: 'platform' | 'admin' | 'editor' | 'viewer';
  portal: boolean;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface Tenant {
  id: string;
  name: string;
  created_at: string;
}

export interface Webhook {
  id: string;
  url: string;
  events: string[];
  description: string;
  active: boolean;
  paused: boolean;
  disabled_reason: string | null;
  created_at: string;
  updated_at: string;
  secret?: string;
}

export interface HlEvent {
  id: string;
  type: string;
  timestamp: string;
  data: unknown;
  created_at: string;
}

export interface Delivery {
  id: string;
  event_id: string;
  webhook_id: string;
  event_type: string;
  status: 'pending' | 'delivering' | 'succeeded' | 'failed' | 'cancelled';
  attempt_count: number;
  next_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

export interface Attempt {
  id: string;
  attempt_number: number;
  started_at: string;
  duration_ms: number;
  url: string;
  request_headers: Record<string, string>;
  response_status: number | null;
  response_body: string | null;
  error: string | null;
  error_class: string | null;
  succeeded: boolean;
}

export interface EventType {
  name: string;
  description: string;
  schema: unknown;
}

export interface StatsBucket {
  start: string;
  events: number;
  deliveries: { succeeded: number; failed: number; pending: number; cancelled: number };
  success_rate: number | null;
  attempts: number;
  latency_ms: { p50: number | null; p95: number | null; p99: number | null };
  errors: Record<string, number>;
}

export interface Stats {
  window: string;
  bucket_s: number;
  total: StatsBucket;
  buckets: StatsBucket[];
}

const KEY_STORAGE = 'hooklane.key';

export function savedKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function saveKey(key: string | null): void {
  if (key === null) sessionStorage.removeItem(KEY_STORAGE);
  else sessionStorage.setItem(KEY_STORAGE, key);
}

function describe(status: number, p: Problem | null): string {
  if (p === null) return `The server answered ${status} without an explanation.`;
  const fields = p.errors?.length
    ? ` (${p.errors.map((e) => `${e.path || 'body'}: ${e.message}`).join('; ')})`
    : '';
  if (status === 401)
    return 'This key or link is not valid (it may have expired or been revoked). Sign in again.';
  if (status === 403) return `Not allowed with this key: ${p.detail}`;
  return `${p.detail}${fields}`;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const key = savedKey();
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch {
    throw new ApiError(0, null, 'The server cannot be reached. Check that hooklane is running.');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text === '' ? null : JSON.parse(text);
  } catch {
    json = null;
  }
  if (!res.ok) {
    const problem = json !== null && typeof json === 'object' && 'code' in json ? (json as Problem) : null;
    throw new ApiError(res.status, problem, describe(res.status, problem));
  }
  return json as T;
}

export const enc = encodeURIComponent;

export type StreamFrame =
  | { event: 'event'; data: HlEvent }
  | { event: 'delivery'; data: Delivery }
  | { event: 'ready' | 'error'; data: unknown };

/**
 * Follows /v1/tenants/{tenant}/stream until `signal` aborts, reconnecting after a drop.
 * `onState` says whether the feed is live.
 */
export async function followStream(
  tenant: string,
  onFrame: (f: StreamFrame) => void,
  onState: (live: boolean) => void,
  signal: AbortSignal,
): Promise<void> {
  while (!signal.aborted) {
    try {
      const key = savedKey();
      const res = await fetch(`/v1/tenants/${enc(tenant)}/stream`, {
        headers: key ? { authorization: `Bearer ${key}` } : {},
        signal,
      });
      if (!res.ok || res.body === null) throw new Error(String(res.status));
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += decoder.decode(value, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const raw = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const event = /^event: (.*)$/m.exec(raw)?.[1];
          const data = /^data: (.*)$/m.exec(raw)?.[1];
          if (event === undefined || data === undefined) continue;
          if (event === 'ready') onState(true);
          onFrame({ event, data: JSON.parse(data) } as StreamFrame);
        }
      }
    } catch {
      // dropped or refused: say so and try again shortly
    }
    onState(false);
    if (signal.aborted) return;
    await new Promise((r) => setTimeout(r, 2000));
  }
}
