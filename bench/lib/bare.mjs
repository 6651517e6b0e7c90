/** Starts the bare Fastify denominator process (bare-fastify.mjs). */
import { forkNode, nextMessage } from './procs.mjs';

const BARE = new URL('./bare-fastify.mjs', import.meta.url).pathname;

export async function startBareFastify() {
  const proc = forkNode('bare-fastify', BARE);
  const { port } = await nextMessage(proc, (m) => m.ready === true);
  return { url: `http://127.0.0.1:${port}`, pid: proc.pid, stop: () => proc.stop(3000) };
}
