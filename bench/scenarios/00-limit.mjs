/**
 * #0 The limit: what this machine can push through HTTP at all. A bare undici Pool in the harness
 * posts 1 KiB JSON to the bare node:http receiver, 64 in flight, measured exactly like hooklane's
 * delivery scenarios (lib/delivery.mjs). It is the denominator of #1, #2 and #5.
 *
 * Then the relay: the same events as #1 posted to a bare relay (lib/bare-relay-process.mjs) that
 * answers 202 and forwards each body to the receiver, nothing stored, signed or checked. A
 * delivery is two HTTP exchanges where the limit is one, on the same cores; the relay measures
 * what that topology alone allows in this run, the ceiling of any accept-then-deliver service.
 */
import { startBareRelay } from '../lib/bare.mjs';
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

/** the bare relay's rate measured by an earlier scenario of this run */
export function relayOf(results) {
  const r = results.get(id);
  if (!r) throw new Error('scenario #0 (the limit) did not run');
  return { label: 'relay', value: r.details.relay.perSec, unit: '/s' };
}

export async function run({ quick }) {
  const receiver = await startReceiver();
  try {
    const m = await measureDelivery({ origins: [receiver.url], receiver, quick, request: limitRequest });
    await receiver.reset();
    const relay = await startBareRelay(`${receiver.url}/hook`);
    let r;
    try {
      r = await measureDelivery({ origins: [relay.url], receiver, quick, cpuOf: { relay: relay.pid } });
    } finally {
      await relay.stop();
    }
    return {
      rows: [
        {
          metric: 'messages/s, 64 in flight',
          value: m.perSec,
          unit: '/s',
          note: describeCpu(m.cpu, 'message'),
        },
        {
          metric: 'bare relay: events in, deliveries out/s',
          value: r.perSec,
          unit: '/s',
          denominator: { label: 'limit', value: m.perSec, unit: '/s' },
          note: describeCpu(r.cpu, 'delivery'),
        },
      ],
      details: { ...m, relay: r },
    };
  } finally {
    await receiver.stop();
  }
}
