/**
 * What both peers share, written the way a Node team would write a minimal webhook sender: a
 * Fastify route that accepts the same `POST /v1/tenants/{t}/events` as hooklane (bearer key,
 * JSON body), serialises the event envelope once and enqueues one job per webhook; and a worker
 * side that signs (Standard Webhooks: HMAC-SHA256 over `id.timestamp.body`) and posts with an
 * undici Pool, keep-alive, one connection per concurrent job. A non-2xx answer throws, so the
 * queue's own retry schedules the next attempt.
 *
 * A peer runs as a child of the harness: argv is one JSON object of options, and it reports
 * `{ready, port}` or `{unavailable}` over IPC.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import Fastify from 'fastify';
import { Pool } from 'undici';
import { signerFor } from '../lib/payload.mjs';

export function peerOptions() {
  return JSON.parse(process.argv[2]);
}

export function reportUnavailable(reason) {
  process.send({ unavailable: reason });
  process.disconnect();
}

/** the webhook's sender: `deliver({id, body})` posts one signed request, throws unless 2xx */
export function makeSender({ webhookUrl, secret, connections }) {
  const url = new URL(webhookUrl);
  const pool = new Pool(url.origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  const sign = signerFor(secret);
  return {
    async deliver({ id, body }) {
      const timestamp = Math.floor(Date.now() / 1000);
      const res = await pool.request({
        method: 'POST',
        path: url.pathname,
        headers: {
          'content-type': 'application/json',
          'webhook-id': id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': sign(id, timestamp, body),
        },
        body,
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
      });
      await res.body.dump();
      if (res.statusCode < 200 || res.statusCode >= 300)
        throw new Error(`webhook answered ${res.statusCode}`);
    },
    close: () => pool.close(),
  };
}

/**
 * The API: `POST /v1/tenants/:tenant/events` → 202 once `enqueue` has durably stored the job.
 * `enqueue({id, body})` gets the envelope serialised once, exactly the bytes the webhook receives.
 */
export async function startPeerApi({ adminKey, enqueue }) {
  const expected = Buffer.from(`Bearer ${adminKey}`);
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  app.post('/v1/tenants/:tenant/events', async (req, reply) => {
    const auth = Buffer.from(req.headers.authorization ?? '');
    if (auth.length !== expected.length || !timingSafeEqual(auth, expected)) {
      return reply.code(401).send({ error: 'unauthorized' });
    }
    const { id, type, data } = req.body ?? {};
    if (typeof type !== 'string' || data === undefined)
      return reply.code(400).send({ error: 'type and data' });
    const event = {
      id: typeof id === 'string' ? id : `evt_${randomUUID()}`,
      type,
      timestamp: new Date().toISOString(),
      data,
    };
    await enqueue({ id: event.id, body: JSON.stringify(event) });
    return reply.code(202).send(event);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { port: app.server.address().port, close: () => app.close() };
}
