/**
 * #0 The limit: what this machine can push through HTTP at all. A bare undici Pool in the harness
 * posts 1 KiB JSON to the bare node:http receiver, 64 in flight, measured exactly like hooklane's
 * delivery scenarios (lib/delivery.mjs). It is the denominator of #1, #2 and #5.
 */
import { describeCpu } from '../lib/cpu.mjs';
import { measureDelivery } from '../lib/delivery.mjs';
import { limitBody } from '../lib/payload.mjs';
import { startReceiver } from '../lib/receiver.mjs';

export const id = 0;
export const title = 'limit: bare undici → node:http';
export const needs = [];

const HEADERS = { 'content-type': 'application/json' };

function limitRequest(n) {
  return { path: '/limit', headers: { ...HEADERS, 'webhook-id': `msg_${n}` }, body: limitBody(n) };
}

/** the limit measured by an earlier scenario of this run */
export function limitOf(results) {
  const r = results.get(id);
  if (!r) throw new Error('scenario #0 (the limit) did not run');
  return { label: 'limit', value: r.details.perSec, unit: '/s' };
}

export async function run({ quick }) {
  const receiver = await startReceiver();
  try {
    const m = await measureDelivery({ origins: [receiver.url], receiver, quick, request: limitRequest });
    return {
      rows: [
        {
          metric: 'messages/s, 64 in flight',
          value: m.perSec,
          unit: '/s',
          note: describeCpu(m.cpu, 'message'),
        },
      ],
      details: m,
    };
  } finally {
    await receiver.stop();
  }
}
