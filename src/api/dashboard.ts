/**
 * Serves the built dashboard (dashboard/ → `vite build` → dist/dashboard) at `/`. Files are read
 * into memory once (a few hundred KB); any other GET path that is not an API path answers
 * index.html, so the dashboard's own paths (/tenants, /t/acme/webhooks, /portal) work on reload.
 * These routes declare no `config.access`, which keeps them out of /openapi.json and public (the
 * UI itself holds no data; every call it makes needs a key).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HooklaneError } from '../domain/errors.js';
import type { Api } from './context.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** paths that belong to the API: never answered with the dashboard */
const API_PREFIXES = ['/v1/', '/in/'];

interface StaticFile {
  body: Buffer;
  type: string;
  /** hashed build assets never change under their name */
  immutable: boolean;
}

/** the package's dist/dashboard, found from this module in src/api or dist/src/api */
export function defaultDashboardDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'dist', 'dashboard');
    dir = dirname(dir);
  }
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dashboard');
}

function readTree(root: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else {
        const url = '/' + relative(root, p).split(sep).join('/');
        files.set(url, {
          body: readFileSync(p),
          type: TYPES[extname(name)] ?? 'application/octet-stream',
          immutable: url.startsWith('/assets/'),
        });
      }
    }
  };
  walk(root);
  return files;
}

const HTML_HEADERS = {
  'cache-control': 'no-cache',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'self'",
};

export function registerDashboard(app: Api, dir: string = defaultDashboardDir()): void {
  const built = existsSync(join(dir, 'index.html'));
  const files = built ? readTree(dir) : new Map<string, StaticFile>();
  const index = files.get('/index.html');

  app.get('/*', { schema: { hide: true } }, async (request, reply) => {
    const path = request.url.split('?')[0]!;
    if (API_PREFIXES.some((p) => path.startsWith(p)))
      throw new HooklaneError('route_not_found', `no route ${request.method} ${path}`);
    const file = files.get(path);
    if (file !== undefined && file !== index) {
      return reply
        .header('content-type', file.type)
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
        .send(file.body);
    }
    if (path.startsWith('/assets/') || index === undefined) {
      if (index === undefined) {
        return reply
          .code(404)
          .header('content-type', 'text/plain; charset=utf-8')
          .send(
            'The dashboard is not built. Run `npm run build` (it runs `vite build` into dist/dashboard).\n',
          );
      }
      throw new HooklaneError('not_found', `no file ${path}`);
    }
    return reply.headers(HTML_HEADERS).header('content-type', index.type).send(index.body);
  });
}
