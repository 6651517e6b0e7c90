/**
 * Builders for delivery tests: webhooks and claimed deliveries shaped exactly as the Store returns
 * them, plus a tiny scriptable HTTP server whose handler each test writes itself.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { DEFAULT_RETRY_POLICY } from '../../src/domain/retry-policy.js';
import type { Webhook } from '../../src/domain/types.js';
import { generateSecret } from '../../src/signing/standard-webhooks.js';
import type { ClaimedDelivery } from '../../src/store/types.js';

let seq = 0;
const uniq = () => `${Date.now().toString(36)}${(seq++).toString(36)}`;

export function makeWebhook(overrides: Partial<Webhook> = {}): Webhook {
  const now = Date.now();
  return {
    id: `wh_${uniq()}`,
    tenant_id: 'acme',
    url: 'http://127.0.0.1:9/',
    events: ['*'],
    description: '',
    active: true,
    paused: false,
    disabled_reason: null,
    headers: {},
    retry_policy: { ...DEFAULT_RETRY_POLICY },
    timeout_ms: 5000,
    max_in_flight: 16,
    rate_limit_per_s: null,
    payload_format: 'envelope',
    metadata: {},
    secrets: [{ secret: generateSecret(), expires_at: null }],
    listener_id: null,
    created_at: now,
    updated_at: now,
    ...overrides,
  };
}

export function makeClaimed(
  webhook: Webhook,
  event: Partial<ClaimedDelivery['event']> = {},
  attempts = 0,
): ClaimedDelivery {
  const now = Date.now();
  const id = event.id ?? `evt_${uniq()}`;
  const type = event.type ?? 'user.created';
  return {
    webhook,
    event: {
      id,
      type,
      payload: JSON.stringify({ id, type, timestamp: new Date(now).toISOString(), data: { n: 1 } }),
      raw_body: null,
      raw_content_type: null,
      source_id: null,
      ...event,
    },
    delivery: {
      tenant_id: webhook.tenant_id,
      id: `dlv_${uniq()}`,
      event_id: id,
      webhook_id: webhook.id,
      event_type: type,
      status: 'delivering',
      attempts,
      next_attempt_at: now,
      lease_owner: 'test',
      lease_expires_at: now + 60_000,
      last_status_code: null,
      last_error: null,
      created_at: now,
      updated_at: now,
      completed_at: null,
    },
  };
}

export interface Hit {
  path: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
  socket: Socket;
}

export interface TestServer {
  url: string;
  hits: Hit[];
  connections: number;
  /** requests received and not answered yet, and the most there ever were at once */
  active: number;
  maxActive: number;
  close(): Promise<void>;
}

/** A real node:http server on 127.0.0.1 that records requests and lets `handle` answer. */
export async function testServer(handle: (hit: Hit, res: ServerResponse) => void): Promise<TestServer> {
  const hits: Hit[] = [];
  const state = { connections: 0, active: 0, maxActive: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const hit = {
        path: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks),
        socket: req.socket,
      };
      hits.push(hit);
      state.active++;
      state.maxActive = Math.max(state.maxActive, state.active);
      res.on('close', () => state.active--);
      handle(hit, res);
    });
  });
  server.on('connection', () => state.connections++);
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    get connections() {
      return state.connections;
    },
    get active() {
      return state.active;
    },
    get maxActive() {
      return state.maxActive;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
