/**
 * A real HTTP receiver for tests: records every request (headers, raw body, arrival time) per path
 * and answers as each path's behaviour says (status sequence, delay, never answer).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface ReceivedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
  at: number;
}

export interface PathBehaviour {
  /** statuses to answer in order; the last one repeats (default [200]) */
  statuses?: number[];
  /** extra headers per answer */
  headers?: Record<string, string>;
  /** delay before answering, ms */
  delayMs?: number;
  /** never answer (the socket stays open until the receiver closes) */
  hang?: boolean;
}

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  on(path: string, behaviour: PathBehaviour): void;
  received(path: string): ReceivedRequest[];
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const behaviours = new Map<string, PathBehaviour>();
  const counts = new Map<string, number>();
  const hanging = new Set<ServerResponse>();

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!;
      requests.push({ path, headers: req.headers, body: Buffer.concat(chunks), at: Date.now() });
      const b = behaviours.get(path) ?? {};
      if (b.hang) {
        hanging.add(res);
        return;
      }
      const n = counts.get(path) ?? 0;
      counts.set(path, n + 1);
      const statuses = b.statuses ?? [200];
      const status = statuses[Math.min(n, statuses.length - 1)]!;
      const answer = () => {
        res.writeHead(status, { 'content-type': 'text/plain', ...(b.headers ?? {}) });
        res.end(`answer ${n + 1} from ${path}`);
      };
      if (b.delayMs) setTimeout(answer, b.delayMs);
      else answer();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    on: (path, behaviour) => behaviours.set(path, behaviour),
    received: (path) => requests.filter((r) => r.path === path),
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
