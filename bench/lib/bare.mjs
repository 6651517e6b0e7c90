/** Starts the bare denominator processes: bare Fastify (bare-fastify.mjs) and the bare relay (bare-relay-process.mjs). */
import { forkNode, nextMessage } from './procs.mjs';

const BARE = new URL('./bare-fastify.mjs', import.meta.url).pathname;
const RELAY = new URL('./bare-relay-process.mjs', import.meta.url).pathname;

async function startBare(name, modulePath, args = []) {
  const proc = forkNode(name, modulePath, args);
  const { port } = await nextMessage(proc, (m) => m.ready === true);
  return { url: `http://127.0.0.1:${port}`, pid: proc.pid, stop: () => proc.stop(3000) };
}

export function startBareFastify() {
  return startBare('bare-fastify', BARE);
}

/** a relay accepting `POST /v1/tenants/:t/events` and forwarding each body to `targetUrl` */
export function startBareRelay(targetUrl) {
  return startBare('bare-relay', RELAY, [targetUrl]);
}
