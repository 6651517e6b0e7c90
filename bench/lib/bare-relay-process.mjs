/**
 * The bare relay: the least any accept-then-deliver service can do, in its own process. It takes
 * `POST /v1/tenants/:tenant/events` on a bare node:http server, parses the JSON body (any API must,
 * to refuse what is not JSON), answers 202 and queues the raw body in memory; a pump forwards each
 * one through a keep-alive undici Pool to the target, at most 64 in flight. No authentication,
 * validation, signing, storage or retries: whatever hooklane does beyond this is its overhead.
 *
 *   node bare-relay-process.mjs <target url>     (forked by lib/bare-relay.mjs)
 */
import { createServer } from 'node:http';
import { Pool } from 'undici';

const target = new URL(process.argv[2]);
const IN_FLIGHT = 64;
const pool = new Pool(target.origin, { connections: IN_FLIGHT });
const queue = [];
let head = 0;
let inFlight = 0;
let seq = 0;

function pump() {
  while (inFlight < IN_FLIGHT && head < queue.length) {
    const item = queue[head];
    queue[head++] = undefined;
    inFlight++;
    pool
      .request({
        path: target.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'webhook-id': item.id },
        body: item.body,
      })
      .then((res) => res.body.dump())
      .catch(() => {}) // the receiver is local and answers 200; a failure is not retried here
      .finally(() => {
        inFlight--;
        pump();
      });
  }
  if (head === queue.length) queue.length = head = 0;
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    try {
      JSON.parse(body.toString('utf8'));
    } catch {
      res.writeHead(400).end();
      return;
    }
    const id = `relay_${++seq}`;
    queue.push({ id, body });
    res.writeHead(202, { 'content-type': 'application/json' }).end(`{"id":"${id}"}`);
    pump();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send({ ready: true, port: server.address().port }));
process.on('SIGTERM', () => {
  server.close();
  pool.close().finally(() => process.exit(0));
});
