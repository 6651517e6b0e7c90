/**
 * The receiver middleware in real frameworks, over real sockets: Express 5, Fastify 5 and plain
 * node:http apps receive requests signed by the reference `standardwebhooks` package. They must
 * hand the handler the verified event, answer tampered, wrongly signed, stale and unsigned
 * requests themselves (401/400), and refuse oversized bodies (413).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expressWebhook,
  fastifyWebhook,
  readAndVerify,
  rejectWebhook,
  webhookEvent,
  WebhookVerificationError,
} from '../../src/sdk/index.js';

const SECRET = 'whsec_' + randomBytes(32).toString('base64');
const OLD_SECRET = 'whsec_' + randomBytes(32).toString('base64');

function signedRequest(
  event: { id: string; type: string; data: unknown },
  opts: { secret?: string; atMs?: number; body?: string } = {},
) {
  const body = JSON.stringify({ ...event, timestamp: '2026-11-22T12:00:00.000Z' });
  const at = new Date(opts.atMs ?? Date.now());
  const signature = new Webhook(opts.secret ?? SECRET).sign(event.id, at, body);
  return {
    body: opts.body ?? body,
    headers: {
      'content-type': 'application/json',
      'webhook-id': event.id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': signature,
    },
  };
}

async function post(url: string, req: { body: string; headers: Record<string, string> }) {
  const res = await fetch(url, { method: 'POST', headers: req.headers, body: req.body });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : null };
}

const listenOn = (server: Server) =>
  new Promise<string>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );

interface App {
  name: string;
  url: string;
  close(): Promise<void>;
}

async function expressApp(): Promise<App> {
  const app = express();
  // the raw bytes of any content type, then verification
  app.post('/raw', express.raw({ type: () => true }), expressWebhook([SECRET, OLD_SECRET]), (req, res) => {
    res.json({ got: webhookEvent(req) });
  });
  // no body parser at all: the middleware reads the stream itself
  app.post('/stream', expressWebhook(SECRET, { maxBodyBytes: 1024 }), (req, res) => {
    res.json({ got: webhookEvent(req) });
  });
  // the classic mistake: a JSON parser first. It must fail loudly, not as "bad signature".
  app.post('/json-first', express.json(), expressWebhook(SECRET), (_req, res) => {
    res.json({ got: 'unreachable' });
  });
  app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).json({ setup_error: err.message });
  });
  const server = createServer(app);
  const url = await listenOn(server);
  return { name: 'express', url, close: () => new Promise((r) => server.close(() => r())) };
}

async function fastifyApp(): Promise<App> {
  const app: FastifyInstance = Fastify();
  await app.register(async (hooks) => {
    await hooks.register(fastifyWebhook, { secret: [SECRET, OLD_SECRET], bodyLimit: 1024 });
    hooks.post('/raw', async (request) => ({ got: webhookEvent(request) }));
    hooks.post('/stream', async (request) => ({ got: webhookEvent(request) }));
  });
  // a JSON route outside the webhook scope keeps Fastify's normal parser
  app.post('/json-first', async (request) => ({ parsed: request.body }));
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { name: 'fastify', url, close: () => app.close() };
}

async function nodeApp(): Promise<App> {
  const server = createServer((req, res) => {
    const secrets = req.url === '/raw' ? [SECRET, OLD_SECRET] : SECRET;
    readAndVerify(req, secrets, { maxBodyBytes: 1024 }).then(
      (event) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ got: event }));
      },
      (err: unknown) => {
        if (err instanceof WebhookVerificationError) rejectWebhook(res, err);
        else {
          res.writeHead(500);
          res.end();
        }
      },
    );
  });
  const url = await listenOn(server);
  return { name: 'node:http', url, close: () => new Promise((r) => server.close(() => r())) };
}

const apps: App[] = [];

beforeAll(async () => {
  apps.push(await expressApp(), await fastifyApp(), await nodeApp());
});

afterAll(async () => {
  for (const app of apps) await app.close();
});

describe.each(['express', 'fastify', 'node:http'])('%s receiver', (name) => {
  const app = () => apps.find((a) => a.name === name)!;
  const event = { id: 'evt_mw_1', type: 'user.created', data: { email: 'ada@example.com' } };

  it('hands the handler the verified event (raw-body route and self-reading route)', async () => {
    for (const path of ['/raw', '/stream']) {
      const res = await post(app().url + path, signedRequest(event));
      expect(res.status, `${path}: ${JSON.stringify(res.json)}`).toBe(200);
      expect(res.json!.got).toMatchObject(event);
    }
  });

  it('accepts a signature made with a rotated-out secret still in the list', async () => {
    const res = await post(app().url + '/raw', signedRequest(event, { secret: OLD_SECRET }));
    expect(res.status).toBe(200);
  });

  it('answers 401 for a tampered body', async () => {
    const req = signedRequest(event);
    const res = await post(app().url + '/raw', { ...req, body: req.body.replace('ada@', 'eve@') });
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ error: 'invalid_signature' });
  });

  it('answers 401 for a wrong secret', async () => {
    const wrong = 'whsec_' + randomBytes(32).toString('base64');
    const res = await post(app().url + '/stream', signedRequest(event, { secret: wrong }));
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ error: 'invalid_signature' });
  });

  it('answers 401 for a stale timestamp', async () => {
    const res = await post(app().url + '/raw', signedRequest(event, { atMs: Date.now() - 10 * 60_000 }));
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ error: 'timestamp_too_old' });
  });

  it('answers 400 when the signature headers are missing', async () => {
    const req = signedRequest(event);
    const res = await post(app().url + '/raw', {
      body: req.body,
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ error: 'missing_header' });
  });

  it('answers 413 for a body over the limit', async () => {
    const big = { ...event, data: { blob: 'x'.repeat(4096) } };
    const res = await post(app().url + '/stream', signedRequest(big));
    expect(res.status).toBe(413);
  });
});

describe('express setup mistakes', () => {
  it('reports a JSON parser mounted before the middleware as a setup error, not a bad signature', async () => {
    const app = apps.find((a) => a.name === 'express')!;
    const res = await post(app.url + '/json-first', signedRequest({ id: 'evt_x', type: 't', data: {} }));
    expect(res.status).toBe(500);
    expect(String(res.json!.setup_error)).toMatch(/express\.raw\(\), not express\.json\(\)/);
  });
});
