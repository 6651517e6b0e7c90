/**
 * Tenant portal sessions: a signed, short-lived bearer token that acts as a key of ONE tenant with
 * the role `viewer` or `editor` (never `admin`: a link must not be able to mint permanent keys).
 *
 *   hlp_<base64url(JSON {t: tenant, r: role, e: expires epoch ms})>.<base64url(HMAC-SHA256)>
 *
 * The HMAC key is derived from the stored hash of the platform admin key (the oldest platform key,
 * when several exist), so it lives in the database: it survives restarts, every process sharing the
 * database agrees on it, and nothing new has to be stored. Rotating the admin key (changing
 * HOOKLANE_ADMIN_KEY revokes the old one) invalidates every portal link issued before.
 * Tokens are compared in constant time; an expired, altered or foreign token is simply not a key (401).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../domain/clock.js';
import { TENANT_ID_PATTERN } from '../domain/ids.js';
import type { Store } from '../store/types.js';
import type { Principal } from './auth.js';

export const PORTAL_TOKEN_PREFIX = 'hlp_';
export type PortalRole = 'viewer' | 'editor';

/** the derived secret is re-read this often, so a rotated admin key takes effect everywhere */
const SECRET_TTL_MS = 30_000;
/** a tenant deleted through another process stops accepting its links within this time */
const TENANT_TTL_MS = 5_000;

interface Claims {
  t: string;
  r: PortalRole;
  e: number;
}

export class PortalSessions {
  private secretCache: { key: Buffer | null; until: number } | null = null;
  private readonly tenantSeen = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** a token for `tenantId` valid until `expiresAt`; null when no platform key exists to derive from */
  async issue(tenantId: string, role: PortalRole, expiresAt: number): Promise<string | null> {
    const key = await this.secret();
    if (key === null) return null;
    const body = Buffer.from(
      JSON.stringify({ t: tenantId, r: role, e: expiresAt } satisfies Claims),
    ).toString('base64url');
    return `${PORTAL_TOKEN_PREFIX}${body}.${sign(key, body)}`;
  }

  /** the principal a token stands for, or null if it is malformed, altered, expired or orphaned */
  async verify(token: string): Promise<Principal | null> {
    if (!token.startsWith(PORTAL_TOKEN_PREFIX)) return null;
    const [body, mac, extra] = token.slice(PORTAL_TOKEN_PREFIX.length).split('.');
    if (body === undefined || mac === undefined || extra !== undefined) return null;
    const key = await this.secret();
    if (key === null) return null;
    const want = Buffer.from(sign(key, body));
    const got = Buffer.from(mac);
    if (got.length !== want.length || !timingSafeEqual(got, want)) return null;
    const claims = parseClaims(body);
    if (claims === null || claims.e <= this.clock.now()) return null;
    if (!(await this.tenantExists(claims.t))) return null;
    return { kind: 'tenant', keyId: 'portal', tenantId: claims.t, role: claims.r };
  }

  private async secret(): Promise<Buffer | null> {
    const now = this.clock.now();
    if (this.secretCache !== null && this.secretCache.until > now) return this.secretCache.key;
    let oldest: { id: string; key_hash: string } | null = null;
    let before: string | null = null;
    do {
      const page = await this.store.apiKeys.list(null, { limit: 250, before });
      for (const k of page.data) if (oldest === null || k.id < oldest.id) oldest = k;
      before = page.next;
    } while (before !== null);
    const key =
      oldest === null
        ? null
        : createHash('sha256').update(`hooklane portal links\0${oldest.key_hash}`).digest();
    this.secretCache = { key, until: now + SECRET_TTL_MS };
    return key;
  }

  private async tenantExists(id: string): Promise<boolean> {
    const now = this.clock.now();
    const until = this.tenantSeen.get(id);
    if (until !== undefined && until > now) return true;
    if ((await this.store.tenants.get(id)) === null) return false;
    if (this.tenantSeen.size > 10_000) this.tenantSeen.clear();
    this.tenantSeen.set(id, now + TENANT_TTL_MS);
    return true;
  }
}

function sign(key: Buffer, body: string): string {
  return createHmac('sha256', key).update(`portal\0${body}`).digest('base64url');
}

function parseClaims(body: string): Claims | null {
  try {
    const c = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<Claims>;
    if (typeof c.t !== 'string' || !TENANT_ID_PATTERN.test(c.t)) return null;
    if (c.r !== 'viewer' && c.r !== 'editor') return null;
    if (typeof c.e !== 'number' || !Number.isFinite(c.e)) return null;
    return { t: c.t, r: c.r, e: c.e };
  } catch {
    return null;
  }
}
