/**
 * The bytes every scenario sends: ~1 KiB JSON bodies, built from one padding string so the load
 * generator spends its time sending, not serialising. And Standard Webhooks signing, shared by the
 * peers (outbound) and the inbound scenario's load generator.
 */
import { createHmac, randomBytes } from 'node:crypto';

export const EVENT_TYPE = 'bench.delivery';

// 900 characters of data: hooklane's envelope around it ({"id":"evt_…","type":…,"timestamp":…,
// "data":{…}}) adds ~110 bytes, so what reaches the receiver is ~1 KiB, like the limit's body.
const PAD = 'x'.repeat(870);

/** the request body of `POST /v1/tenants/{t}/events` number `n`; `id` sets the event's own id */
export function eventBody(n, { type = EVENT_TYPE, id } = {}) {
  const idField = id === undefined ? '' : `"id":"${id}",`;
  return `{${idField}"type":"${type}","data":{"n":${n},"pad":"${PAD}"}}`;
}

/** a 1 KiB JSON body for the limit (scenario 0) */
export function limitBody(n) {
  const head = `{"id":"msg_${n}","type":"${EVENT_TYPE}","data":{"n":${n},"pad":"`;
  return head + 'x'.repeat(Math.max(0, 1024 - head.length - 3)) + '"}}';
}

/** a Standard Webhooks secret: `whsec_` + base64 of 32 random bytes */
export function newSecret() {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** a signer for one secret: (msgId, unixSeconds, body) → `v1,<base64 HMAC-SHA256>` */
export function signerFor(secret) {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  return (msgId, timestamp, body) =>
    `v1,${createHmac('sha256', key).update(`${msgId}.${timestamp}.`).update(body).digest('base64')}`;
}
