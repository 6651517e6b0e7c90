/** The harness side of the receiver process (see receiver-process.mjs). */
import { forkNode, nextMessage } from './procs.mjs';
import { waitFor } from './stats.mjs';

const RECEIVER = new URL('./receiver-process.mjs', import.meta.url).pathname;

/**
 * Starts a receiver listening on `listeners` ports (`urls`, one origin each; `url` is the first).
 * `configure` sets path behaviours: `{delayMs}` (answer late) or `{hang: true}` (never answer);
 * other paths answer 200 at once.
 */
export async function startReceiver({ listeners = 1 } = {}) {
  const proc = forkNode('receiver', RECEIVER, [String(listeners)]);
  const { ports } = await nextMessage(proc, (m) => m.ready === true);
  let seq = 0;
  async function call(cmd, extra = {}) {
    const id = ++seq;
    proc.child.send({ cmd, id, ...extra });
    const answer = await nextMessage(proc, (m) => m.re === id);
    if (answer.error) throw new Error(`receiver: ${answer.error}`);
    return answer;
  }
  const receiver = {
    url: `http://127.0.0.1:${ports[0]}`,
    urls: ports.map((port) => `http://127.0.0.1:${port}`),
    pid: proc.pid,
    /** sets path behaviours and whether to keep each event's first arrival time; clears counts */
    configure: ({ behaviours = {}, recordArrivals = false } = {}) =>
      call('configure', { behaviours, recordArrivals }),
    reset: () => call('reset'),
    stats: () => call('stats'),
    /** [[eventId, firstArrivalMs], …] when configured with recordArrivals */
    arrivals: async () => (await call('arrivals')).arrivals,
    /**
     * Waits until `n` distinct arrivals were counted (on `path`, or overall) and returns the stats.
     * Fails early when the count has not moved for `stallMs` (something is broken: no point in
     * waiting out the whole timeout), and says how far it got either way.
     */
    async waitForUnique(n, { path, timeoutMs, what, intervalMs = 100, stallMs = 30_000 }) {
      const label = what ?? `${n} arrivals at the receiver${path ? ` on ${path}` : ''}`;
      let got = 0;
      let movedAt = Date.now();
      try {
        return await waitFor(
          async () => {
            const s = await receiver.stats();
            const now = path === undefined ? s.unique : (s.byPath[path]?.unique ?? 0);
            if (now !== got) {
              got = now;
              movedAt = Date.now();
            } else if (Date.now() - movedAt > stallMs) {
              throw new Error(`stalled: no new arrival for ${stallMs} ms`);
            }
            return got >= n ? s : null;
          },
          { timeoutMs, intervalMs, what: label },
        );
      } catch (e) {
        throw new Error(`${e.message} (waiting for ${label}: ${got} of ${n} arrived)`);
      }
    },
    stop: () => proc.stop(3000),
  };
  return receiver;
}
