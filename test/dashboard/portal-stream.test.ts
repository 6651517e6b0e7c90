/**
 * Portal links and the live stream, through the API: a link's session reaches its tenant only,
 * at most as editor, until it expires; the stream sends new events and delivery changes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, tenantWithKeys, type ApiHarness } from '../api/harness.js';
import { waitFor } from '../helpers/wait.js';

let now = Date.parse('2026-11-22T10:00:00.000Z');
const clock = { now: () => now };

describe('portal links', () => {
  let api: ApiHarness;
  let keys: Awaited<ReturnType<typeof tenantWithKeys>>;

  beforeAll(async () => {
    api = await startApi({
      clock,
      env: { HOOKLANE_PUBLIC_URL: 'https://hooks.example.com/', HOOKLANE_ALLOW_PRIVATE_NETWORKS: 'true' },
    });
    keys = await tenantWithKeys(api, 'acme');
    await tenantWithKeys(api, 'globex');
  });
  afterAll(async () => api?.close());

  async function link(body: object = {}, key?: string) {
    const res = await api.call('POST', '/v1/tenants/acme/portal-links', { body, ...(key ? { key } : {}) });
    expect(res.status, res.text).toBe(201);
    return res.body as { url: string; token: string; expires_at: string; role: string };
  }

  it('creates a link that opens the dashboard with the token in the fragment', async () => {
    const l = await link();
    expect(l.url).toBe(`https://hooks.example.com/portal#token=${l.token}`);
    expect(l.role).toBe('editor');
    expect(l.expires_at).toBe(new Date(now + 3_600_000).toISOString());
    expect(l.token.startsWith('hlp_')).toBe(true);
  });

  it('acts as an editor key of its tenant only', async () => {
    const { token } = await link();
    const me = await api.call('GET', '/v1/me', { key: token });
    expect(me.body).toEqual({ kind: 'tenant', tenant_id: 'acme', role: 'editor', portal: true });
    expect((await api.call('GET', '/v1/tenants/acme/webhooks', { key: token })).status).toBe(200);
    const created = await api.call('POST', '/v1/tenants/acme/webhooks', {
      key: token,
      body: { url: 'http://127.0.0.1:9/h', events: ['*'] },
    });
    expect(created.status, created.text).toBe(201);
    // not another tenant, not the platform, not the tenant's keys, not more links
    expect((await api.call('GET', '/v1/tenants/globex/webhooks', { key: token })).status).toBe(403);
    expect((await api.call('GET', '/v1/tenants', { key: token })).status).toBe(403);
    expect((await api.call('GET', '/metrics', { key: token })).status).toBe(403);
    expect((await api.call('GET', '/v1/tenants/acme/api-keys', { key: token })).status).toBe(403);
    expect((await api.call('POST', '/v1/tenants/acme/portal-links', { key: token, body: {} })).status).toBe(
      403,
    );
  });

  it('a viewer link only reads', async () => {
    const { token } = await link({ role: 'viewer' });
    expect((await api.call('GET', '/v1/tenants/acme/webhooks', { key: token })).status).toBe(200);
    const w = await api.call('POST', '/v1/tenants/acme/webhooks', {
      key: token,
      body: { url: 'http://127.0.0.1:9/h', events: ['*'] },
    });
    expect(w.status).toBe(403);
  });

  it('refuses admin links, bad lifetimes, and non-admin callers', async () => {
    for (const body of [{ role: 'admin' }, { expires_in_s: 10 }, { expires_in_s: 10 ** 9 }]) {
      const res = await api.call('POST', '/v1/tenants/acme/portal-links', { body });
      expect(res.status).toBe(400);
    }
    const byEditor = await api.call('POST', '/v1/tenants/acme/portal-links', { key: keys.editor, body: {} });
    expect(byEditor.status).toBe(403);
    await link({}, keys.admin);
  });

  it('expires, and an altered token is no key', async () => {
    const { token } = await link({ expires_in_s: 60 });
    expect((await api.call('GET', '/v1/me', { key: token })).status).toBe(200);
    const [body, mac] = token.slice(4).split('.') as [string, string];
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), t: 'globex' }),
    ).toString('base64url');
    expect(
      (await api.call('GET', '/v1/tenants/globex/webhooks', { key: `hlp_${forged}.${mac}` })).status,
    ).toBe(401);
    expect((await api.call('GET', '/v1/me', { key: `${token}x` })).status).toBe(401);
    now += 61_000;
    const expired = await api.call('GET', '/v1/me', { key: token });
    expect(expired.status).toBe(401);
    expect(expired.text).not.toContain(token);
  });
});

describe('live stream', () => {
  let api: ApiHarness;
  let keys: Awaited<ReturnType<typeof tenantWithKeys>>;
  let base: string;

  beforeAll(async () => {
    api = await startApi({ env: { HOOKLANE_ALLOW_PRIVATE_NETWORKS: 'true' } });
    keys = await tenantWithKeys(api, 'live');
    await tenantWithKeys(api, 'elsewhere');
    base = await api.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => api?.close());

  it('sends ready, then new events and deliveries of its tenant only', async () => {
    await api.call('POST', '/v1/tenants/live/events', { body: { type: 'old.one', data: {} } });
    const wh = await api.call('POST', '/v1/tenants/live/webhooks', {
      body: { url: 'http://127.0.0.1:9/h', events: ['*'] },
    });
    expect(wh.status).toBe(201);
    const controller = new AbortController();
    const res = await fetch(`${base}/v1/tenants/live/stream`, {
      headers: { authorization: `Bearer ${keys.viewer}` },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const frames: { event: string; data: any }[] = [];
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    void (async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        buf += decoder.decode(value, { stream: true });
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const raw = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const event = /^event: (.*)$/m.exec(raw)?.[1];
          const data = /^data: (.*)$/m.exec(raw)?.[1];
          if (event && data) frames.push({ event, data: JSON.parse(data) });
        }
      }
    })();
    await waitFor(() => frames.some((f) => f.event === 'ready'));
    await api.call('POST', '/v1/tenants/elsewhere/events', { body: { type: 'x.y', data: {} } });
    const sent = await api.call('POST', '/v1/tenants/live/events', {
      body: { id: 'live-1', type: 'new.one', data: {} },
    });
    expect(sent.status).toBe(202);
    const ev = await waitFor(() => frames.find((f) => f.event === 'event'));
    expect(ev.data.id).toBe('live-1');
    const dl = await waitFor(() => frames.find((f) => f.event === 'delivery'));
    expect(dl.data).toMatchObject({ event_id: 'live-1', webhook_id: wh.body.id, status: 'pending' });
    // a change to the delivery is streamed too
    await api.store.queue.claim({
      workerId: 'w',
      limit: 10,
      now: Date.now() + 1000,
      leaseMarginMs: 1000,
      excludeWebhookIds: [],
      perWebhookLimit: 10,
    });
    await waitFor(() => frames.some((f) => f.event === 'delivery' && f.data.status === 'delivering'));
    // nothing old, nothing of the other tenant
    expect(frames.filter((f) => f.event === 'event').map((f) => f.data.id)).toEqual(['live-1']);
    controller.abort();
  });

  it('needs a key of the tenant', async () => {
    expect((await fetch(`${base}/v1/tenants/live/stream`)).status).toBe(401);
    const other = await fetch(`${base}/v1/tenants/elsewhere/stream`, {
      headers: { authorization: `Bearer ${keys.viewer}` },
    });
    expect(other.status).toBe(403);
  });
});
