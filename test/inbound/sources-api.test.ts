/**
 * The sources API and the receiver's behaviour beyond signatures, over real HTTP on a real SQLite
 * file, with a clock the test moves: CRUD and validation, secrets shown only on purpose, URL
 * rotation with and without grace, handshakes, body kinds, schema violations, event type and id
 * rules, the dedupe window, and what is (and is not) logged.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { Webhook as SvixWebhook } from 'svix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from '../api/harness.js';
import { waitFor } from '../helpers/wait.js';
import { startInboundRig, type InboundRig } from './rig.js';

let now = Date.parse('2026-11-22T12:00:00.000Z');
const clock = { now: () => now };
let rig: InboundRig;

beforeAll(async () => {
  rig = await startInboundRig('acme', { clock });
  const other = await rig.api.call('POST', '/v1/tenants', { body: { id: 'other', name: 'Other' } });
  expect(other.status).toBe(201);
});
afterAll(async () => rig?.close());

const T = '/v1/tenants/acme/sources';
const json = { 'content-type': 'application/json' };

async function requestsOf(id: string): Promise<any[]> {
  const res = await rig.api.call('GET', `${T}/${id}/requests?limit=250`);
  expect(res.status, res.text).toBe(200);
  return res.body.data;
}

describe('sources API', () => {
  it('creates a source with defaults and a public URL, and shows its secret only on create', async () => {
    const res = await rig.api.call('POST', T, {
      body: { name: 'GitHub', verification: { type: 'github', secret: 'gh-secret-1' } },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({
      id: expect.stringMatching(/^src_/),
      tenant_id: 'acme',
      name: 'GitHub',
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:8080\/in\/[A-Za-z0-9_-]{43}$/),
      active: true,
      verification: { type: 'github', secret: 'gh-secret-1' },
      tolerance_s: 300,
      event_type: { from_header: 'x-github-event', prefix: 'github.' },
      id_from: { header: 'x-github-delivery' },
      dedupe_window_s: 86400,
      rate_limit_per_s: null,
      max_body_bytes: 1048576,
      schema: null,
    });
    const got = await rig.api.call('GET', `${T}/${res.body.id}`);
    expect(got.body.verification).toEqual({ type: 'github' });
    const list = await rig.api.call('GET', T);
    expect(list.text).not.toContain('gh-secret-1');
    const v = await rig.api.call('GET', `${T}/${res.body.id}/verification`, { key: rig.keys.editor });
    expect(v.body).toEqual({ verification: { type: 'github', secret: 'gh-secret-1' }, previous_secrets: [] });
    expectProblem(
      await rig.api.call('GET', `${T}/${res.body.id}/verification`, { key: rig.keys.viewer }),
      403,
      'forbidden',
    );
  });

  it('generates the secret of Standard Webhooks, generic HMAC and api key sources when omitted', async () => {
    for (const verification of [
      { type: 'standard_webhooks' },
      { type: 'hmac', header: 'x-sig' },
      { type: 'api_key' },
    ]) {
      const res = await rig.api.call('POST', T, { body: { name: 'gen', verification } });
      expect(res.status, res.text).toBe(201);
      const secret = res.body.verification.secret ?? res.body.verification.key;
      expect(typeof secret).toBe('string');
      expect(secret.length).toBeGreaterThanOrEqual(32);
    }
  });

  it('PATCH keeps a generated secret when the verification type stays, and changes it on request', async () => {
    const created = await rig.api.call('POST', T, {
      body: { name: 'k', verification: { type: 'hmac', header: 'x-sig' } },
    });
    const secret = created.body.verification.secret as string;
    const patched = await rig.api.call('PATCH', `${T}/${created.body.id}`, {
      body: { verification: { type: 'hmac', header: 'x-signature', encoding: 'base64' } },
    });
    expect(patched.status, patched.text).toBe(200);
    const v = await rig.api.call('GET', `${T}/${created.body.id}/verification`);
    expect(v.body.verification).toMatchObject({ header: 'x-signature', encoding: 'base64', secret });
    await rig.api.call('PATCH', `${T}/${created.body.id}`, {
      body: { verification: { type: 'hmac', header: 'x-signature', secret: 'chosen-secret' } },
    });
    const v2 = await rig.api.call('GET', `${T}/${created.body.id}/verification`);
    expect(v2.body.verification.secret).toBe('chosen-secret');
  });

  it('refuses bad input with problem+json naming the paths', async () => {
    const cases: [unknown, string][] = [
      [{ verification: { type: 'none' } }, 'name'],
      [{ name: 'x', verification: { type: 'carrier_pigeon' } }, 'verification.type'],
      [{ name: 'x', verification: { type: 'stripe' } }, 'verification.secret'],
      [
        { name: 'x', verification: { type: 'hmac', header: 'x-s', signed_content: '{timestamp}' } },
        'verification.signed_content',
      ],
      [
        {
          name: 'x',
          verification: { type: 'hmac', header: 'x-s', timestamp_header: 'x-t', signed_content: '{body}' },
        },
        'verification.signed_content',
      ],
      [{ name: 'x', verification: { type: 'none' }, max_body_bytes: 64 * 1024 * 1024 }, 'max_body_bytes'],
      [{ name: 'x', verification: { type: 'none' }, event_type: { static: 'not a type' } }, 'event_type'],
      [{ name: 'x', verification: { type: 'none' }, id_from: { json_pointer: 'no-slash' } }, 'id_from'],
      [{ name: 'x', verification: { type: 'none' }, schema: { type: 'nope' } }, 'schema'],
      [{ name: 'x', verification: { type: 'none' }, extra: 1 }, ''],
    ];
    for (const [body, path] of cases) {
      const res = await rig.api.call('POST', T, { body });
      expectProblem(res, 400, 'validation_failed');
      if (path !== '') expect(res.body.errors.map((e: any) => e.path).join(' '), res.text).toContain(path);
    }
  });

  it('applies roles: viewers read, editors write, other tenants are refused', async () => {
    const { editor, viewer } = rig.keys;
    const created = await rig.api.call('POST', T, {
      key: editor,
      body: { name: 'by editor', verification: { type: 'none' } },
    });
    expect(created.status).toBe(201);
    expect((await rig.api.call('GET', `${T}/${created.body.id}`, { key: viewer })).status).toBe(200);
    expectProblem(
      await rig.api.call('PATCH', `${T}/${created.body.id}`, { key: viewer, body: { name: 'x' } }),
      403,
    );
    expectProblem(
      await rig.api.call('POST', T, { key: viewer, body: { name: 'x', verification: { type: 'none' } } }),
      403,
    );
    expectProblem(await rig.api.call('GET', `/v1/tenants/other/sources`, { key: rig.keys.admin }), 403);
    expectProblem(
      await rig.api.call('GET', `/v1/tenants/other/sources/${created.body.id}`),
      404,
      'not_found',
    );
  });

  it('pages lists newest first with cursors', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      now += 1;
      const res = await rig.api.call('POST', '/v1/tenants/other/sources', {
        body: { name: `p${i}`, verification: { type: 'none' } },
      });
      ids.push(res.body.id);
    }
    const first = await rig.api.call('GET', '/v1/tenants/other/sources?limit=2');
    expect(first.body.data.map((s: any) => s.id)).toEqual([ids[2], ids[1]]);
    const second = await rig.api.call(
      'GET',
      `/v1/tenants/other/sources?limit=2&cursor=${first.body.next_cursor}`,
    );
    expect(second.body.data.map((s: any) => s.id)).toEqual([ids[0]]);
    expect(second.body.next_cursor).toBeNull();
    expectProblem(
      await rig.api.call('GET', '/v1/tenants/other/sources?cursor=bogus!'),
      400,
      'invalid_cursor',
    );
  });

  it('PATCH changes fields; DELETE stops the URL at once', async () => {
    const s = await rig.createSource({ name: 'p', verification: { type: 'none' } });
    const patched = await rig.api.call('PATCH', `${T}/${s.id}`, {
      body: {
        name: 'renamed',
        event_type: { static: 'acme.ping' },
        verification: { type: 'api_key', key: 'k'.repeat(20) },
      },
    });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body).toMatchObject({
      name: 'renamed',
      event_type: { static: 'acme.ping' },
      verification: { type: 'api_key', header: 'x-api-key' },
    });
    expect((await rig.send(s.path, { body: '{}', headers: json })).status).toBe(401);
    const ok = await rig.send(s.path, { body: '{}', headers: { ...json, 'x-api-key': 'k'.repeat(20) } });
    expect(ok.status, ok.text).toBe(200);
    expect((await rig.api.call('DELETE', `${T}/${s.id}`)).status).toBe(204);
    expect((await rig.send(s.path, { body: '{}', headers: json })).status).toBe(404);
    expectProblem(await rig.api.call('DELETE', `${T}/${s.id}`), 404, 'not_found');
    // the event it stored outlives the source
    expect((await rig.api.call('GET', `/v1/tenants/acme/events/${ok.json.id}`)).status).toBe(200);
  });
});

describe('OpenAPI', () => {
  it('documents the sources routes, and the receiver as public (no api key)', async () => {
    const doc = (await rig.api.call('GET', '/openapi.json')).body;
    for (const path of ['/v1/tenants/{tenant}/sources', '/v1/tenants/{tenant}/sources/{id}/rotate-url'])
      expect(doc.paths[path]).toBeDefined();
    const receiver = doc.paths['/in/{token}'];
    for (const method of ['get', 'post', 'put', 'patch']) expect(receiver[method].security).toEqual([]);
    expect(doc.paths['/v1/tenants/{tenant}/sources'].post.security).toBeUndefined();
  });
});

describe('URL rotation', () => {
  it('without grace: the old URL stops at once, the new one works', async () => {
    const s = await rig.createSource({ name: 'r', verification: { type: 'none' } });
    const rotated = await rig.api.call('POST', `${T}/${s.id}/rotate-url`);
    expect(rotated.status, rotated.text).toBe(200);
    const fresh = new URL(rotated.body.url).pathname;
    expect(fresh).not.toBe(s.path);
    expect((await rig.send(s.path, { body: 'a', headers: json })).status).toBe(404);
    expect((await rig.send(fresh, { body: '{"a":1}', headers: json })).status).toBe(200);
    expect((await rig.api.call('GET', `${T}/${s.id}`)).body.url).toBe(rotated.body.url);
  });

  it('with grace: both URLs work until the grace period ends, then only the new one', async () => {
    const s = await rig.createSource({ name: 'g', verification: { type: 'none' } });
    const rotated = await rig.api.call('POST', `${T}/${s.id}/rotate-url`, { body: { grace_period_s: 3600 } });
    const fresh = new URL(rotated.body.url).pathname;
    expect((await rig.send(s.path, { body: '{"old":1}', headers: json })).status).toBe(200);
    expect((await rig.send(fresh, { body: '{"new":1}', headers: json })).status).toBe(200);
    now += 3599_000;
    expect((await rig.send(s.path, { body: '{"old":2}', headers: json })).status).toBe(200);
    now += 2_000;
    expect((await rig.send(s.path, { body: '{"old":3}', headers: json })).status).toBe(404);
    expect((await rig.send(fresh, { body: '{"new":2}', headers: json })).status).toBe(200);
    // a second rotation without grace ends every older URL at once
    const again = await rig.api.call('POST', `${T}/${s.id}/rotate-url`, { body: { grace_period_s: 0 } });
    expect((await rig.send(fresh, { body: '{"new":3}', headers: json })).status).toBe(404);
    expect((await rig.send(new URL(again.body.url).pathname, { body: '{}', headers: json })).status).toBe(
      200,
    );
    expectProblem(await rig.api.call('POST', `${T}/src_nope/rotate-url`), 404, 'not_found');
  });
});

describe('secret rotation', () => {
  const ghSend = (path: string, secret: string, n: number) => {
    const body = JSON.stringify({ n, at: now });
    return rig.send(path, {
      body,
      headers: {
        ...json,
        'x-github-event': 'push',
        'x-github-delivery': `rot-${n}-${now}`,
        'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
      },
    });
  };

  it('with grace the old secret verifies until the grace ends; without, it stops at once', async () => {
    const s = await rig.createSource({
      name: 'gh-rot',
      verification: { type: 'github', secret: 'old-secret' },
    });
    const rotated = await rig.api.call('POST', `${T}/${s.id}/secret/rotate`, {
      body: { secret: 'new-secret', grace_period_s: 600 },
    });
    expect(rotated.status, rotated.text).toBe(200);
    expect(rotated.body).toEqual({
      verification: { type: 'github', secret: 'new-secret' },
      previous_secrets: [{ secret: 'old-secret', expires_at: new Date(now + 600_000).toISOString() }],
    });
    expect((await ghSend(s.path, 'old-secret', 1)).status).toBe(200);
    expect((await ghSend(s.path, 'new-secret', 2)).status).toBe(200);
    expect((await ghSend(s.path, 'other-secret', 3)).status).toBe(401);
    const shown = await rig.api.call('GET', `${T}/${s.id}`);
    expect(shown.body.previous_secrets_expire_at).toEqual([new Date(now + 600_000).toISOString()]);
    expect(shown.text).not.toContain('old-secret');
    now += 601_000;
    expect((await ghSend(s.path, 'old-secret', 4)).status).toBe(401);
    expect((await ghSend(s.path, 'new-secret', 5)).status).toBe(200);
    const again = await rig.api.call('POST', `${T}/${s.id}/secret/rotate`, {
      body: { secret: 'newest-secret' },
    });
    expect(again.body.previous_secrets).toEqual([]);
    expect((await ghSend(s.path, 'new-secret', 6)).status).toBe(401);
    expect((await ghSend(s.path, 'newest-secret', 7)).status).toBe(200);
  });

  it('a PATCH with a new secret ends rotated-out secrets at once', async () => {
    const s = await rig.createSource({ name: 'gh-patch', verification: { type: 'github', secret: 'p-old' } });
    await rig.api.call('POST', `${T}/${s.id}/secret/rotate`, {
      body: { secret: 'p-new', grace_period_s: 600 },
    });
    expect((await ghSend(s.path, 'p-old', 1)).status).toBe(200);
    await rig.api.call('PATCH', `${T}/${s.id}`, {
      body: { verification: { type: 'github', secret: 'p-newer' } },
    });
    expect((await ghSend(s.path, 'p-old', 2)).status).toBe(401);
    expect((await ghSend(s.path, 'p-new', 3)).status).toBe(401);
    expect((await ghSend(s.path, 'p-newer', 4)).status).toBe(200);
  });

  it('generates the new secret where hooklane chose the first; refuses what cannot rotate', async () => {
    const sw = await rig.createSource({ name: 'sw', verification: { type: 'standard_webhooks' } });
    const generated = await rig.api.call('POST', `${T}/${sw.id}/secret/rotate`);
    expect(generated.status, generated.text).toBe(200);
    expect(generated.body.verification.secret).toMatch(/^whsec_/);
    expect(generated.body.verification.secret).not.toBe(sw.body.verification.secret);
    const stripe = await rig.createSource({
      name: 'st',
      verification: { type: 'stripe', secret: 'whsec_x' },
    });
    expectProblem(await rig.api.call('POST', `${T}/${stripe.id}/secret/rotate`), 400, 'validation_failed');
    const basic = await rig.createSource({
      name: 'b',
      verification: { type: 'basic', username: 'u', password: 'p' },
    });
    expectProblem(
      await rig.api.call('POST', `${T}/${basic.id}/secret/rotate`, { body: { secret: 'x' } }),
      400,
      'validation_failed',
    );
    expectProblem(
      await rig.api.call('POST', `${T}/${sw.id}/secret/rotate`, { body: { secret: 'not-whsec' } }),
      400,
      'validation_failed',
    );
    expectProblem(
      await rig.api.call('POST', `${T}/${sw.id}/secret/rotate`, { key: rig.keys.viewer, body: {} }),
      403,
    );
  });
});

describe('the receiver', () => {
  it('answers an unknown token 404 and logs nothing; an inactive source 404 and logs it', async () => {
    expect((await rig.send('/in/not-a-token', { body: '{}', headers: json })).status).toBe(404);
    const s = await rig.createSource({ name: 'i', verification: { type: 'none' }, active: false });
    const res = await rig.send(s.path, { body: '{}', headers: json });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const log = await requestsOf(s.id);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({
      status: 404,
      outcome: 'rejected',
      reason: expect.stringMatching(/^not_found/),
    });
  });

  it("answers Meta's GET handshake only with the right verify token", async () => {
    const s = await rig.createSource({
      name: 'wa',
      verification: { type: 'meta', secret: 'app-secret', verify_token: 'vt-123' },
    });
    const ok = await rig.send(
      `${s.path}?hub.mode=subscribe&hub.verify_token=vt-123&hub.challenge=1158201444`,
      { method: 'GET' },
    );
    expect(ok.status).toBe(200);
    expect(ok.text).toBe('1158201444');
    const bad = await rig.send(`${s.path}?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1`, {
      method: 'GET',
    });
    expect(bad.status).toBe(401);
    const none = await rig.send(s.path, { method: 'GET' });
    expect(none.status).toBe(400);
    const repeated = await rig.send(
      `${s.path}?hub.mode=subscribe&hub.verify_token=vt-123&hub.verify_token=x&hub.challenge=1`,
      { method: 'GET' },
    );
    expect(repeated.status).toBe(400);
    const plain = await rig.createSource({ name: 'n', verification: { type: 'none' } });
    expect((await rig.send(plain.path, { method: 'GET' })).status).toBe(405);
    expect((await rig.send(plain.path, { method: 'HEAD' })).status).toBe(405);
    expect((await rig.api.call('GET', `/v1/tenants/acme/events?source_id=${plain.id}`)).body.data).toEqual(
      [],
    );
    const log = await requestsOf(s.id);
    expect(log.map((r) => r.outcome).sort()).toEqual(['handshake', 'rejected', 'rejected', 'rejected']);
    expect(JSON.stringify(log)).not.toContain('vt-123"');
  });

  it("answers Slack's url_verification challenge once signed, and stores no event", async () => {
    const secret = 'slack-signing-secret';
    const s = await rig.createSource({ name: 'slack', verification: { type: 'slack', secret } });
    const body = JSON.stringify({
      token: 'x',
      challenge: 'chal-3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P',
      type: 'url_verification',
    });
    const ts = Math.floor(now / 1000);
    const sig = `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;
    const res = await rig.send(s.path, {
      body,
      headers: { ...json, 'x-slack-request-timestamp': String(ts), 'x-slack-signature': sig },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toEqual({ challenge: 'chal-3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' });
    const unsigned = await rig.send(s.path, { body, headers: json });
    expect(unsigned.status).toBe(401);
    const events = await rig.api.call('GET', `/v1/tenants/acme/events?source_id=${s.id}`);
    expect(events.body.data).toEqual([]);
  });

  it('reads Svix-named Standard Webhooks headers (svix-id, svix-timestamp, svix-signature)', async () => {
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const s = await rig.createSource({ name: 'clerk', verification: { type: 'standard_webhooks', secret } });
    const body = JSON.stringify({ type: 'user.created', data: { id: 'user_1' } });
    const msgId = 'msg_2b3c';
    const headers = {
      ...json,
      'svix-id': msgId,
      'svix-timestamp': String(Math.floor(now / 1000)),
      'svix-signature': new SvixWebhook(secret).sign(msgId, new Date(now), body),
    };
    const res = await rig.send(s.path, { body, headers });
    expect(res.status, res.text).toBe(200);
    expect((await rig.send(s.path, { body, headers })).json).toEqual({ id: res.json.id, duplicate: true });
    const tampered = await rig.send(s.path, { body: body.replace('user_1', 'user_2'), headers });
    expect(tampered.status).toBe(401);
    const event = await rig.api.call('GET', `/v1/tenants/acme/events/${res.json.id}`);
    expect(event.body.type).toBe('user.created');
    const log = await requestsOf(s.id);
    for (const r of log) expect(r.headers['svix-signature']).toBe('[redacted]');
  });

  it('parses JSON, form and text bodies; refuses broken JSON with 400', async () => {
    const s = await rig.createSource({ name: 'b', verification: { type: 'none' } });
    const j = await rig.send(s.path, {
      body: '{"a":[1,2]}',
      headers: { 'content-type': 'application/vnd.api+json' },
    });
    const f = await rig.send(s.path, {
      body: 'To=%2B15550001&Body=hi+there&Tag=a&Tag=b',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const t = await rig.send(s.path, {
      body: '<xml>yes</xml>',
      headers: { 'content-type': 'application/xml' },
    });
    const data = async (id: string) => (await rig.api.call('GET', `/v1/tenants/acme/events/${id}`)).body.data;
    expect(await data(j.json.id)).toEqual({ a: [1, 2] });
    expect(await data(f.json.id)).toEqual({ To: '+15550001', Body: 'hi there', Tag: ['a', 'b'] });
    expect(await data(t.json.id)).toBe('<xml>yes</xml>');
    const broken = await rig.send(s.path, { body: '{"a":', headers: json });
    expect(broken.status).toBe(400);
    expect(broken.json.code).toBe('invalid_json');
  });

  it('answers hostile bodies with 4xx, never 500: deep nesting, __proto__ fields', async () => {
    const s = await rig.createSource({ name: 'hostile', verification: { type: 'none' } });
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    const res = await rig.send(s.path, { body: deep, headers: json });
    expect(res.status, res.text).toBe(400);
    expect(res.json).toMatchObject({
      code: 'invalid_json',
      detail: expect.stringContaining('deeper than 64'),
    });
    // brackets inside strings do not count
    const ok = await rig.send(s.path, { body: JSON.stringify({ s: '['.repeat(1000) }), headers: json });
    expect(ok.status, ok.text).toBe(200);
    const form = await rig.send(s.path, {
      body: '__proto__=x&__proto__=y&constructor=z&a=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status, form.text).toBe(200);
    const event = await rig.api.call('GET', `/v1/tenants/acme/events/${form.json.id}`);
    expect(JSON.parse(event.text).data).toEqual(
      JSON.parse('{"__proto__":["x","y"],"constructor":"z","a":"1"}'),
    );
  });

  it('refuses a body that breaks the source schema with 400 and the failing paths', async () => {
    const s = await rig.createSource({
      name: 'schema',
      verification: { type: 'none' },
      schema: {
        type: 'object',
        required: ['session'],
        properties: { session: { type: 'string' }, n: { type: 'integer' } },
      },
    });
    const bad = await rig.send(s.path, { body: '{"n":"x"}', headers: json });
    expect(bad.status, bad.text).toBe(400);
    expect(bad.json.code).toBe('source_schema_violation');
    expect(bad.json.errors.map((e: any) => e.path).sort()).toEqual(['body.n', 'body.session']);
    expect((await rig.send(s.path, { body: '{"session":"a","n":1}', headers: json })).status).toBe(200);
    const log = await requestsOf(s.id);
    expect(log.find((r) => r.status === 400)?.reason).toMatch(/^source_schema_violation/);
  });

  it('takes the event type and delivery id from the configured header or JSON pointer', async () => {
    const s = await rig.createSource({
      name: 'rules',
      verification: { type: 'none' },
      event_type: { from_json_pointer: '/meta/kind', prefix: 'wa.' },
      id_from: { json_pointer: '/meta/id' },
    });
    const a = await rig.send(s.path, {
      body: '{"meta":{"kind":"session/ready","id":"m1"},"x":1}',
      headers: json,
    });
    const b = await rig.send(s.path, {
      body: '{"meta":{"kind":"session/ready","id":"m1"},"x":2}',
      headers: json,
    });
    const c = await rig.send(s.path, { body: '{"meta":{"id":"m2"}}', headers: json });
    expect(b.json).toEqual({ id: a.json.id, duplicate: true });
    const typeOf = async (id: string) =>
      (await rig.api.call('GET', `/v1/tenants/acme/events/${id}`)).body.type;
    expect(await typeOf(a.json.id)).toBe('wa.session.ready');
    expect(await typeOf(c.json.id)).toBe('wa.unknown');
    const h = await rig.createSource({
      name: 'hdr',
      verification: { type: 'none' },
      event_type: { from_header: 'x-event' },
      id_from: { header: 'x-delivery' },
    });
    const d = await rig.send(h.path, { body: 'one', headers: { 'x-event': 'job.done', 'x-delivery': 'd1' } });
    const e = await rig.send(h.path, { body: 'two', headers: { 'x-event': 'job.done', 'x-delivery': 'd1' } });
    expect(e.json).toEqual({ id: d.json.id, duplicate: true });
    expect(await typeOf(d.json.id)).toBe('job.done');
  });

  it('a delivery id on record for an event never stored (the first request died) is stored under that event id', async () => {
    const s = await rig.createSource({
      name: 'lost',
      verification: { type: 'none' },
      id_from: { json_pointer: '/id' },
    });
    const lostId = 'evt_01JXT21QZ8MYX4Z4DH2NTG42F4';
    await rig.api.store.sources.claimDedupeKeys(
      [{ tenant_id: 'acme', source_id: s.id, key: 'id:dl1', event_id: lostId, expires_at: now + 60_000 }],
      now,
    );
    const res = await rig.send(s.path, { body: '{"id":"dl1","n":1}', headers: json });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toEqual({ id: lostId });
    const stored = await rig.api.call('GET', `/v1/tenants/acme/events/${lostId}`);
    expect(stored.body).toMatchObject({ id: lostId, data: { id: 'dl1', n: 1 } });
    const again = await rig.send(s.path, { body: '{"id":"dl1","n":1}', headers: json });
    expect(again.json).toEqual({ id: lostId, duplicate: true });
  });

  it('stores the same delivery again once the dedupe window has passed; window 0 turns dedupe off', async () => {
    const s = await rig.createSource({ name: 'w', verification: { type: 'none' }, dedupe_window_s: 60 });
    const body = '{"same":true}';
    const first = await rig.send(s.path, { body, headers: json });
    now += 59_000;
    expect((await rig.send(s.path, { body, headers: json })).json).toEqual({
      id: first.json.id,
      duplicate: true,
    });
    now += 2_000;
    const later = await rig.send(s.path, { body, headers: json });
    expect(later.json.duplicate).toBeUndefined();
    expect(later.json.id).not.toBe(first.json.id);
    const off = await rig.createSource({ name: 'off', verification: { type: 'none' }, dedupe_window_s: 0 });
    const x = await rig.send(off.path, { body, headers: json });
    const y = await rig.send(off.path, { body, headers: json });
    expect(y.json.id).not.toBe(x.json.id);
  });

  it('records the non-secret request headers on the event, never the credential', async () => {
    const s = await rig.createSource({
      name: 'h',
      verification: { type: 'api_key', header: 'x-hook-key', key: 'super-secret-key-123' },
    });
    const res = await rig.send(s.path, {
      body: '{}',
      headers: {
        ...json,
        'x-hook-key': 'super-secret-key-123',
        'x-request-origin': 'wa-gw',
        cookie: 'sid=abc',
      },
    });
    expect(res.status, res.text).toBe(200);
    const row = await rig.api.store.events.get('acme', res.json.id);
    expect(row?.source_headers).toMatchObject({
      'content-type': 'application/json',
      'x-request-origin': 'wa-gw',
    });
    expect(row?.source_headers).not.toHaveProperty('x-hook-key');
    expect(row?.source_headers).not.toHaveProperty('cookie');
    expect(row?.raw_body?.toString()).toBe('{}');
    const log = await waitFor(async () => (await requestsOf(s.id))[0]);
    expect(log.headers['x-hook-key']).toBe('[redacted]');
    expect(log.headers.cookie).toBe('[redacted]');
    expect(log).toMatchObject({
      outcome: 'accepted',
      status: 200,
      event_id: res.json.id,
      body_bytes: 2,
      body_excerpt: null,
    });
    // a refused request keeps the start of its body in the log; an accepted one has it in its event
    const refused = await rig.send(s.path, { body: '{"no":"key"}', headers: json });
    expect(refused.status).toBe(401);
    const entry = (await requestsOf(s.id)).find((r) => r.status === 401);
    expect(entry).toMatchObject({ outcome: 'rejected', body_excerpt: '{"no":"key"}', body_bytes: 12 });
  });
});
