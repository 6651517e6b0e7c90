/**
 * The receiver: a bare node:http server in its own process, the same one for the limit, hooklane
 * and the peers. It reads each body, answers 200 (or as a path's behaviour says: late, or never),
 * and counts arrivals per path with their first and last time. The harness talks to it over IPC.
 *
 * An arrival is identified by path + `webhook-id`, so at-least-once duplicates are counted apart
 * and never inflate a throughput.
 */
import { createServer } from 'node:http';

let behaviours = new Map();
let recordArrivals = false;
let state = freshState();
const hanging = new Set();

function freshState() {
  return {
    total: 0,
    duplicates: 0,
    unsigned: 0,
    firstAt: null,
    lastAt: null,
    seen: new Set(),
    byPath: new Map(),
    /** event id → first arrival time, only when recording (latency scenarios) */
    arrivals: recordArrivals ? new Map() : null,
  };
}

function now() {
  return performance.timeOrigin + performance.now();
}

function record(path, id, signed) {
  const at = now();
  const s = state;
  s.total++;
  if (!signed) s.unsigned++;
  s.firstAt ??= at;
  s.lastAt = at;
  let p = s.byPath.get(path);
  if (p === undefined) {
    p = { count: 0, unique: 0, firstAt: at, lastAt: at };
    s.byPath.set(path, p);
  }
  p.count++;
  p.lastAt = at;
  const key = `${path} ${id}`;
  if (s.seen.has(key)) {
    s.duplicates++;
  } else {
    s.seen.add(key);
    p.unique++;
    if (s.arrivals !== null && !s.arrivals.has(id)) s.arrivals.set(id, at);
  }
}

function handle(req, res) {
  req.resume();
  req.on('end', () => {
    const q = req.url.indexOf('?');
    const path = q === -1 ? req.url : req.url.slice(0, q);
    const id = req.headers['webhook-id'] ?? '';
    record(path, id, req.headers['webhook-signature'] !== undefined);
    const b = behaviours.get(path);
    if (b?.hang) {
      hanging.add(res);
      res.once('close', () => hanging.delete(res));
      return;
    }
    const answer = () => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
      res.end('ok');
    };
    if (b?.delayMs) setTimeout(answer, b.delayMs);
    else answer();
  });
}

// Several listeners (ports) give several origins: webhooks of different customers do not share a
// sender's connection pool, and #6 must not measure one pool's queue instead of the dispatcher.
const listeners = Number(process.argv[2] ?? 1);
const servers = Array.from({ length: listeners }, () => {
  const server = createServer(handle);
  // Senders keep connections alive; never let the receiver be the one that closes them mid-run.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 130_000;
  return server;
});

function stats() {
  const byPath = {};
  for (const [path, p] of state.byPath) byPath[path] = { ...p };
  return {
    total: state.total,
    unique: state.seen.size,
    duplicates: state.duplicates,
    unsigned: state.unsigned,
    firstAt: state.firstAt,
    lastAt: state.lastAt,
    byPath,
  };
}

process.on('message', (m) => {
  const reply = (body) => process.send({ re: m.id, ...body });
  switch (m.cmd) {
    case 'configure':
      behaviours = new Map(Object.entries(m.behaviours ?? {}));
      recordArrivals = m.recordArrivals === true;
      state = freshState();
      return reply({ ok: true });
    case 'reset':
      state = freshState();
      return reply({ ok: true });
    case 'stats':
      return reply(stats());
    case 'arrivals':
      return reply({ arrivals: state.arrivals === null ? [] : [...state.arrivals] });
    default:
      return reply({ error: `unknown command ${m.cmd}` });
  }
});

process.on('SIGTERM', () => {
  for (const res of hanging) res.destroy();
  for (const server of servers) server.closeAllConnections();
  Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve)))).then(() =>
    process.exit(0),
  );
});

const ports = await Promise.all(
  servers.map(
    (server) => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port))),
  ),
);
process.send({ ready: true, ports });
