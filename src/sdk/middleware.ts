/**
 * Receiving webhooks in a web framework. The one thing that goes wrong everywhere is the body: the
 * signature covers the exact bytes sent, so it must be checked before any JSON parser touches
 * them. Each helper here reads (or is handed) the raw bytes, verifies, and answers a bad request
 * itself with a short reason: 400 malformed, 401 untrusted (bad signature, stale or future
 * timestamp), 413 too large. The verified event is then available as `webhookEvent(req)`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyPluginCallback } from 'fastify';
import type { WebhookEvent } from './types.js';
import { verifyWebhook, WebhookVerificationError, type VerifyWebhookOptions } from './verify.js';

/**
 * hooklane accepts event bodies up to 1 MiB by default and operators may raise that; 4 MiB leaves
 * room for a raised limit and for inbound payloads forwarded raw, while bounding what one request
 * can make a receiver buffer.
 */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface ReceiveOptions extends VerifyWebhookOptions {
  /** larger bodies are refused with 413 (default 4 MiB) */
  maxBodyBytes?: number;
}

type Secret = string | readonly string[];

// Keyed by Node's request object, which Express's `req` is and Fastify's `request.raw` holds; a
// WeakMap keeps the event exactly as long as the request lives.
const verifiedEvents = new WeakMap<IncomingMessage, WebhookEvent>();

/** The event a webhook middleware verified for this request (Node/Express `req` or Fastify `request`). */
export function webhookEvent<TData = unknown>(
  req: IncomingMessage | { raw: IncomingMessage },
): WebhookEvent<TData> {
  const raw = 'raw' in req ? req.raw : req;
  const event = verifiedEvents.get(raw);
  if (event === undefined) {
    throw new Error(
      'no verified webhook on this request: mount expressWebhook or fastifyWebhook before this handler',
    );
  }
  return event as WebhookEvent<TData>;
}

/** Reads a Node request body up to `maxBytes`; beyond it rejects with a 413 and discards the rest. */
export function readRawBody(
  req: IncomingMessage,
  maxBytes: number = DEFAULT_MAX_BODY_BYTES,
): Promise<Buffer> {
  const tooLarge = () =>
    new WebhookVerificationError('invalid_payload', `body is larger than ${maxBytes} bytes`, 413);
  const declared = Number(req.headers['content-length']);
  if (declared > maxBytes) {
    req.resume();
    return Promise.reject(tooLarge());
  }
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.off('data', onData);
        req.off('end', onEnd);
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => resolve(Buffer.concat(chunks, size));
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', reject);
  });
}

/** Answers a refused webhook: the status the error carries and `{error: reason, message}`. */
export function rejectWebhook(res: ServerResponse, err: WebhookVerificationError): void {
  const body = JSON.stringify({ error: err.reason, message: err.message });
  res.writeHead(err.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/**
 * Plain `node:http`: reads the body, verifies it and returns the event.
 *
 * @throws WebhookVerificationError (answer it with `rejectWebhook(res, err)`)
 */
export async function readAndVerify<TData = unknown>(
  req: IncomingMessage,
  secret: Secret,
  opts: ReceiveOptions = {},
): Promise<WebhookEvent<TData>> {
  const body = await readRawBody(req, opts.maxBodyBytes);
  const event = verifyWebhook<TData>(body, req.headers, secret, opts);
  verifiedEvents.set(req, event);
  return event;
}

/** Express's request as this middleware sees it: Node's request plus whatever a body parser left. */
type ExpressRequest = IncomingMessage & { body?: unknown };

/**
 * Express middleware. Mount it after `express.raw({ type: () => true })` (raw bytes of any content
 * type), or with no body parser at all (it then reads the stream itself), never after
 * `express.json()`:
 *
 *   app.post('/webhooks', express.raw({ type: () => true }), expressWebhook(secret), (req, res) => {
 *     const event = webhookEvent(req);
 *   });
 */
export function expressWebhook(secret: Secret, opts: ReceiveOptions = {}) {
  return (req: ExpressRequest, res: ServerResponse, next: (err?: unknown) => void): void => {
    const body = req.body;
    if (body !== undefined && !Buffer.isBuffer(body) && typeof body !== 'string') {
      // A JSON parser ran first: the signed bytes are gone. A setup mistake, not a bad request.
      next(new TypeError('expressWebhook needs the raw body: use express.raw(), not express.json()'));
      return;
    }
    const raw = body === undefined ? readRawBody(req, opts.maxBodyBytes) : Promise.resolve(body);
    raw
      .then((bytes) => verifiedEvents.set(req, verifyWebhook(bytes, req.headers, secret, opts)))
      .then(
        () => next(),
        (err: unknown) => (err instanceof WebhookVerificationError ? rejectWebhook(res, err) : next(err)),
      );
  };
}

export interface FastifyWebhookOptions extends VerifyWebhookOptions {
  /** the webhook's secret, or several while one is being rotated */
  secret: Secret;
  /** larger bodies are refused with 413 (default: the Fastify instance's bodyLimit) */
  bodyLimit?: number;
}

/**
 * Fastify plugin for the scope it is registered in: it replaces that scope's body parsers with one
 * that keeps the raw bytes, and verifies every request of the scope's routes in a preHandler.
 * Register it in a scope of its own that holds only webhook routes:
 *
 *   app.register(async (hooks) => {
 *     await hooks.register(fastifyWebhook, { secret });
 *     hooks.post('/webhooks', async (request) => { const event = webhookEvent(request); … });
 *   });
 */
export const fastifyWebhook: FastifyPluginCallback<FastifyWebhookOptions> = (scope, opts, done) => {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser(
    '*',
    { parseAs: 'buffer', ...(opts.bodyLimit !== undefined ? { bodyLimit: opts.bodyLimit } : {}) },
    (_request, body, parsed) => parsed(null, body),
  );
  scope.addHook('preHandler', async (request, reply) => {
    const body = request.body;
    try {
      const bytes = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
      verifiedEvents.set(request.raw, verifyWebhook(bytes, request.headers, opts.secret, opts));
    } catch (err) {
      if (!(err instanceof WebhookVerificationError)) throw err;
      return reply.code(err.status).send({ error: err.reason, message: err.message });
    }
  });
  done();
};
// What the fastify-plugin package does, without depending on it: the plugin's hooks and parser
// apply to the scope that registers it instead of a new child scope of their own.
Object.defineProperty(fastifyWebhook, Symbol.for('skip-override'), { value: true });
