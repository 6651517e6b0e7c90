/**
 * The API in-process on a real SQLite file (test/api/harness.ts), listening on a real port, so
 * inbound requests travel over real HTTP exactly as a provider's would.
 */
import { startApi, tenantWithKeys, type ApiHarness, type HarnessOptions } from '../api/harness.js';

export interface InboundRig {
  api: ApiHarness;
  /** http://127.0.0.1:port */
  base: string;
  keys: Record<'admin' | 'editor' | 'viewer', string>;
  /** creates a source through the API; returns its id, url path and create response body */
  createSource(body: Record<string, unknown>): Promise<{ id: string; path: string; body: any }>;
  /** sends a request to a source URL over HTTP */
  send(
    path: string,
    init: { method?: string; body?: string | Buffer; headers?: Record<string, string> },
  ): Promise<HttpAnswer>;
  close(): Promise<void>;
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export async function startInboundRig(tenant = 'acme', opts: HarnessOptions = {}): Promise<InboundRig> {
  const api = await startApi(opts);
  await api.app.listen({ port: 0, host: '127.0.0.1' });
  const addr = api.app.server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  const base = `http://127.0.0.1:${port}`;
  const keys = await tenantWithKeys(api, tenant);
  return {
    api,
    base,
    keys,
    async createSource(body) {
      const res = await api.call('POST', `/v1/tenants/${tenant}/sources`, { body });
      if (res.status !== 201) throw new Error(`create source: ${res.status} ${res.text}`);
      return { id: res.body.id, path: new URL(res.body.url).pathname, body: res.body };
    },
    async send(path, init) {
      const res = await fetch(base + path, {
        method: init.method ?? 'POST',
        headers: init.headers ?? {},
        ...(init.body !== undefined ? { body: init.body } : {}),
      });
      const text = await res.text();
      let json: any = null;
      try {
        json = text === '' ? null : JSON.parse(text);
      } catch {
        json = null;
      }
      return { status: res.status, headers: res.headers, text, json };
    },
    close: () => api.close(),
  };
}
