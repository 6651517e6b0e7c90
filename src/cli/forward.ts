/**
 * `hooklane listen`'s local half: POST one pushed delivery to the developer's app with its real
 * signed headers and exact body bytes, and describe the answer the way an attempt records it.
 */
import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import type { ListenerDelivery, ListenerResult } from '../sdk/types.js';

const BODY_EXCERPT = 4096;
/** headers the HTTP client sets itself for the local request */
const HOP_HEADERS = new Set(['host', 'content-length', 'connection', 'transfer-encoding', 'keep-alive']);

function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; depth < 4 && typeof e === 'object' && e !== null; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const inner = (e as { errors?: unknown; cause?: unknown }).errors;
    e = Array.isArray(inner) ? inner[0] : (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export async function forwardDelivery(
  target: URL,
  d: ListenerDelivery,
): Promise<Omit<ListenerResult, 'request_id'>> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(d.headers)) {
    if (!HOP_HEADERS.has(name.toLowerCase())) headers[name] = value;
  }
  const body = Buffer.from(d.body_base64, 'base64');
  const started = performance.now();
  const elapsed = () => Math.ceil(performance.now() - started);
  try {
    const res = await request(target, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(d.timeout_ms),
    });
    const kept: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      if (size < BODY_EXCERPT) kept.push(chunk.subarray(0, BODY_EXCERPT - size));
      size += chunk.length;
    }
    const retryAfter = res.headers['retry-after'];
    return {
      status: res.statusCode,
      body: Buffer.concat(kept).toString('utf8'),
      duration_ms: elapsed(),
      error: null,
      error_class: null,
      retry_after: typeof retryAfter === 'string' ? retryAfter : null,
    };
  } catch (err) {
    const code = errorCode(err);
    const timedOut = code === 'ABORT_ERR' || (err instanceof Error && err.name === 'TimeoutError');
    if (timedOut) {
      return {
        status: null,
        body: null,
        duration_ms: elapsed(),
        error: `the local app did not answer within ${d.timeout_ms} ms`,
        error_class: 'timeout',
      };
    }
    const refused = code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ENOTFOUND';
    return {
      status: null,
      body: null,
      duration_ms: elapsed(),
      error: `local app at ${target.origin}: ${code ?? (err instanceof Error ? err.message : String(err))}`,
      error_class: refused ? 'connect' : 'other',
    };
  }
}
