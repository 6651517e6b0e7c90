/**
 * Every verification preset over real HTTP on a real SQLite file: a request signed by the
 * provider's own library (or by a helper following its published algorithm) is accepted and stored
 * once; tampering, a wrong secret, a missing header and timestamps outside the window are refused
 * with 401; a replay is answered as a duplicate and not stored again; going over the rate limit
 * gives 429 with Retry-After and a body over the limit 413 — and all of it is in the request log,
 * with no secret in it.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRESET_CASES, type PresetCase } from './signers.js';
import { startInboundRig, type HttpAnswer, type InboundRig } from './rig.js';
import { waitFor } from '../helpers/wait.js';

let rig: InboundRig;
beforeAll(async () => {
  rig = await startInboundRig();
});
afterAll(async () => rig?.close());

const nowS = () => Math.floor(Date.now() / 1000);

function expect401(res: HttpAnswer, reason: string): void {
  expect(res.status, res.text).toBe(401);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.json.code).toBe('signature_invalid');
  expect(res.json.detail).toContain(reason);
}

async function eventsOf(sourceId: string): Promise<any[]> {
  const res = await rig.api.call('GET', `/v1/tenants/acme/events?source_id=${sourceId}&limit=250`);
  expect(res.status).toBe(200);
  return res.body.data;
}

describe.each(PRESET_CASES)('preset $preset', (c: PresetCase) => {
  const secret = c.secret();
  let source: { id: string; path: string };
  let n = 0;

  async function signed(opts: { secret?: string; timestampS?: number; body?: string } = {}) {
    const body = opts.body ?? c.body(++n);
    const headers = await c.sign(body, {
      secret: opts.secret ?? secret,
      timestampS: opts.timestampS ?? nowS(),
      deliveryId: randomUUID(),
    });
    return { body, headers: { 'content-type': c.contentType, ...headers } };
  }

  beforeAll(async () => {
    source = await rig.createSource({ name: c.preset, verification: c.verification(secret) });
  });

  it('accepts a correctly signed request and stores it as an event of the source', async () => {
    const req = await signed();
    const res = await rig.send(source.path, req);
    expect(res.status, res.text).toBe(200);
    expect(res.json).toEqual({ id: expect.stringMatching(/^evt_/) });
    const event = await rig.api.call('GET', `/v1/tenants/acme/events/${res.json.id}`);
    expect(event.body).toMatchObject({ source_id: source.id, type: c.expectedType });
    if (c.contentType.startsWith('application/json')) expect(event.body.data).toEqual(JSON.parse(req.body));
    else if (c.contentType.startsWith('application/x-www-form-urlencoded'))
      expect(event.body.data).toMatchObject({ command: '/deploy', user: 'ada' });
    else expect(event.body.data).toBe(req.body);
  });

  it('answers a replay as a duplicate and does not store it again', async () => {
    const req = await signed();
    const first = await rig.send(source.path, req);
    expect(first.status, first.text).toBe(200);
    const before = (await eventsOf(source.id)).length;
    const again = await rig.send(source.path, req);
    expect(again.status, again.text).toBe(200);
    expect(again.json).toEqual({ id: first.json.id, duplicate: true });
    expect((await eventsOf(source.id)).length).toBe(before);
  });

  // Skipped for basic and api_key: a credential scheme signs no body, so a tampered body is accepted by design.
  it.skipIf(!c.signsBody)(
    `refuses a tampered body${c.signsBody ? '' : ' (skipped: a credential scheme signs no body)'}`,
    async () => {
      const req = await signed();
      const tampered = req.body.replace(/\d/, (d) => String((Number(d) + 1) % 10));
      expect(tampered).not.toBe(req.body);
      expect401(await rig.send(source.path, { ...req, body: tampered }), 'invalid_signature');
    },
  );

  it('refuses a request signed with another secret', async () => {
    const req = await signed({ secret: c.secret() });
    const res = await rig.send(source.path, req);
    expect(res.status, res.text).toBe(401);
  });

  it.each(c.required)('refuses a request without %s', async (name) => {
    const req = await signed();
    delete (req.headers as Record<string, string>)[name];
    expect401(await rig.send(source.path, req), 'missing_header');
  });

  // Skipped for github, shopify, meta, basic, api_key: they sign no timestamp; dedupe on the delivery id is their replay defence.
  it.skipIf(!c.timestamped)(
    `refuses stale and future timestamps${c.timestamped ? '' : ' (skipped: this scheme signs no timestamp; the delivery-id dedupe is its replay defence)'}`,
    async () => {
      const stale = await signed({ timestampS: nowS() - 300 - 60 });
      expect401(await rig.send(source.path, stale), 'timestamp_too_old');
      const future = await signed({ timestampS: nowS() + 300 + 60 });
      expect401(await rig.send(source.path, future), 'timestamp_in_future');
    },
  );

  it('answers 429 with Retry-After over the rate limit', async () => {
    const patch = await rig.api.call('PATCH', `/v1/tenants/acme/sources/${source.id}`, {
      body: { rate_limit_per_s: 0.01 },
    });
    expect(patch.status, patch.text).toBe(200);
    expect((await rig.send(source.path, await signed())).status).toBe(200);
    const limited = await rig.send(source.path, await signed());
    expect(limited.status, limited.text).toBe(429);
    expect(limited.json.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    await rig.api.call('PATCH', `/v1/tenants/acme/sources/${source.id}`, {
      body: { rate_limit_per_s: null },
    });
  });

  it('answers 413 to a body over max_body_bytes, declared or streamed', async () => {
    const req = await signed();
    const patch = await rig.api.call('PATCH', `/v1/tenants/acme/sources/${source.id}`, {
      body: { max_body_bytes: Buffer.byteLength(req.body) - 1 },
    });
    expect(patch.status, patch.text).toBe(200);
    const declared = await rig.send(source.path, req);
    expect(declared.status, declared.text).toBe(413);
    expect(declared.json.code).toBe('body_too_large');
    // no content-length: the limit is enforced while reading
    const streamed = await fetch(rig.base + source.path, {
      method: 'POST',
      headers: req.headers,
      body: new ReadableStream({
        start(ctrl) {
          ctrl.enqueue(new TextEncoder().encode(req.body));
          ctrl.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    await rig.api.call('PATCH', `/v1/tenants/acme/sources/${source.id}`, {
      body: { max_body_bytes: 1024 * 1024 },
    });
  });

  it('logs every request with its outcome and reason, and never a secret', async () => {
    const log = await waitFor(
      async () => {
        const res = await rig.api.call('GET', `/v1/tenants/acme/sources/${source.id}/requests?limit=250`);
        return res.body.data.some((r: any) => r.status === 413) ? res.body.data : null;
      },
      { message: 'the request log to hold the 413' },
    );
    const outcomes = new Set(log.map((r: any) => r.outcome));
    expect(outcomes).toEqual(new Set(['accepted', 'duplicate', 'rejected']));
    const statuses = new Set(log.map((r: any) => r.status));
    for (const s of [200, 401, 413, 429]) expect(statuses).toContain(s);
    const rejected = log.filter((r: any) => r.outcome === 'rejected');
    for (const r of rejected) expect(r.reason).toMatch(/^[a-z_]+: /);
    expect(log.find((r: any) => r.status === 401 && /missing_header/.test(r.reason))).toBeDefined();
    const text = JSON.stringify(log);
    expect(text).not.toContain(secret);
    // signature and credential headers are redacted wherever they appear
    for (const name of c.required.filter((h) => !/timestamp|webhook-id/.test(h))) {
      for (const r of log) if (r.headers[name] !== undefined) expect(r.headers[name]).toBe('[redacted]');
    }
  });
});
