/** Starts a peer process (graphile-worker.mjs, bullmq.mjs) and waits for its API. */
import { forkNode, nextMessage } from '../lib/procs.mjs';

/**
 * Resolves `{url, pid, stop}` once the peer answers, or `{unavailable}` when it says it cannot
 * run here (a missing optional package, Redis down).
 */
export async function startPeer(name, options) {
  const file = new URL(`./${name}.mjs`, import.meta.url).pathname;
  const proc = forkNode(name, file, [JSON.stringify(options)]);
  const m = await nextMessage(
    proc,
    (msg) => msg.ready === true || typeof msg.unavailable === 'string',
    60_000,
  );
  if (m.unavailable) {
    await proc.stop(3000);
    return { unavailable: m.unavailable };
  }
  return { url: `http://127.0.0.1:${m.port}`, pid: proc.pid, stop: () => proc.stop(10_000) };
}
