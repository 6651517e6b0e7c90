/**
 * Who may call what. Every route declares `config.access`; one onRequest hook enforces it before the
 * body is even parsed, so an unauthenticated caller learns nothing from validation errors.
 *
 *   public         no key (/health, /openapi.json)
 *   authenticated  any valid key (reading event types)
 *   platform       the platform admin key only
 *   tenant:read    platform key, or a key of the tenant in the path (viewer and up)
 *   tenant:write   … editor and up (webhooks, events, retries)
 *   tenant:admin   … admin (the tenant's api keys)
 *
 * Missing or unknown key → 401. A tenant key naming any other tenant → 403 whether that tenant exists
 * or not, so tenant ids cannot be probed. The platform key naming an absent tenant → 404.
 */
import type { FastifyRequest } from 'fastify';
import type { Clock } from '../domain/clock.js';
import { HooklaneError } from '../domain/errors.js';
import type { TenantRole } from '../domain/types.js';
import type { Store } from '../store/types.js';
import type { KeyResolver, Principal } from './auth.js';

export type Access =
  'public' | 'authenticated' | 'platform' | 'tenant:read' | 'tenant:write' | 'tenant:admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

const ROLE_RANK: Record<TenantRole, number> = { viewer: 1, editor: 2, admin: 3 };
const REQUIRED_RANK = { 'tenant:read': 1, 'tenant:write': 2, 'tenant:admin': 3 } as const;

/**
 * Positive-only cache of tenant existence for platform-key requests on tenant routes (ingest with
 * the platform key would otherwise pay one extra read per event). Deletions through this process
 * are forgotten at once; through another process within TTL_MS, after which the store's foreign
 * keys still refuse writes.
 */
const TTL_MS = 5_000;
const MAX_ENTRIES = 10_000;

export class TenantDirectory {
  private readonly known = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async exists(id: string): Promise<boolean> {
    const now = this.clock.now();
    const until = this.known.get(id);
    if (until !== undefined && until > now) return true;
    const found = (await this.store.tenants.get(id)) !== null;
    if (found) {
      if (this.known.size >= MAX_ENTRIES) this.known.clear();
      this.known.set(id, now + TTL_MS);
    } else this.known.delete(id);
    return found;
  }

  forget(id: string): void {
    this.known.delete(id);
  }
}

export function createAccessHook(keys: KeyResolver, tenants: TenantDirectory) {
  return async function enforceAccess(request: FastifyRequest): Promise<void> {
    const access = request.routeOptions.config.access;
    if (access === undefined || access === 'public') return;
    const principal = await keys.resolve(request.headers.authorization);
    if (principal === null) throw new HooklaneError('unauthorized');
    request.principal = principal;
    if (access === 'authenticated') return;
    if (access === 'platform') {
      if (principal.kind !== 'platform')
        throw new HooklaneError('forbidden', 'this route needs the platform admin key');
      return;
    }
    const tenantId = (request.params as { tenant?: string }).tenant ?? '';
    if (principal.kind === 'platform') {
      if (!(await tenants.exists(tenantId))) throw new HooklaneError('not_found', 'tenant not found');
      return;
    }
    if (principal.tenantId !== tenantId)
      throw new HooklaneError('forbidden', 'this key belongs to another tenant');
    if (ROLE_RANK[principal.role] < REQUIRED_RANK[access]) {
      throw new HooklaneError('forbidden', `role "${principal.role}" may not do this`);
    }
  };
}
