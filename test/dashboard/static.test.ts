/**
 * The built dashboard is served at `/` with an SPA fallback, stays out of /openapi.json, and never
 * shadows the API: unknown API paths are still problem+json 404s.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultDashboardDir } from '../../src/api/dashboard.js';
import { expectProblem, startApi, type ApiHarness } from '../api/harness.js';

describe('dashboard static files', () => {
  let api: ApiHarness;
  const dir = defaultDashboardDir();

  beforeAll(async () => {
    if (!existsSync(join(dir, 'index.html'))) throw new Error(`${dir} is missing: run \`npm run build\``);
    api = await startApi();
  });
  afterAll(async () => api?.close());

  it('serves index.html at / and at any dashboard path, without a key', async () => {
    const index = readFileSync(join(dir, 'index.html'), 'utf8');
    for (const path of ['/', '/tenants', '/t/acme/webhooks/wh_1', '/portal']) {
      const res = await api.call('GET', path, { key: null });
      expect(res.status, path).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).toBe(index);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    }
  });

  it('serves hashed assets as immutable, and 404s a missing one', async () => {
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(readFileSync(join(dir, 'index.html'), 'utf8'))![1]!;
    const res = await api.call('GET', script, { key: null });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/javascript/);
    expect(res.headers['cache-control']).toContain('immutable');
    expectProblem(await api.call('GET', '/assets/nope.js', { key: null }), 404);
  });

  it('leaves API paths to the API', async () => {
    expectProblem(await api.call('GET', '/v1/nope'), 404, 'route_not_found');
    expectProblem(await api.call('POST', '/somewhere', { body: {} }), 404, 'route_not_found');
    expect((await api.call('GET', '/health', { key: null })).body).toEqual({ status: 'ok' });
  });

  it('stays out of /openapi.json', async () => {
    const doc = (await api.call('GET', '/openapi.json', { key: null })).body;
    const paths = Object.keys(doc.paths);
    expect(paths.some((p) => p === '/*' || p === '/' || p.startsWith('/assets'))).toBe(false);
    expect(paths).toContain('/v1/tenants/{tenant}/stats');
    expect(paths).toContain('/v1/tenants/{tenant}/portal-links');
    expect(paths).toContain('/v1/tenants/{tenant}/stream');
  });
});
