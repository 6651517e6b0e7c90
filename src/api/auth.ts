/**
 * API keys: `hl_` + base64url(32 random bytes), stored only as a hex SHA-256. A request's key is
 * found by hashing it and looking the hash up, so no stored secret is ever compared byte by byte
 * (the database index does the matching on a value an attacker cannot choose to be close to).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Config } from '../config/index.js';
import type { Clock } from '../domain/clock.js';
import { newId } from '../domain/ids.js';
import type { ApiKey, TenantRole } from '../domain/types.js';
import type { Store } from '../store/types.js';
import { PORTAL_TOKEN_PREFIX, PortalSessions } from './portal-session.js';

export const API_KEY_PREFIX = 'hl_';
/** characters of a key kept in clear (`key_prefix`) so users can tell keys apart */
const SHOWN_CHARS = 10;
/** longer bearer values are refused without hashing them */
const MAX_KEY_LENGTH = 256;

export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBytes(32).toString('base64url');
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function newApiKeyRow(
  key: string,
  fields: { tenant_id: string | null; role: TenantRole | 'platform'; name: string },
  now: number,
): ApiKey {
  return {
    id: newId('apiKey', now),
    tenant_id: fields.tenant_id,
    role: fields.role,
    name: fields.name,
    key_hash: hashApiKey(key),
    key_prefix: key.slice(0, SHOWN_CHARS),
    created_at: now,
    last_used_at: null,
  };
}

const ENV_KEY_NAME = 'HOOKLANE_ADMIN_KEY';

/**
 * Makes sure a platform admin key exists.
 * - `config.adminKey` set: that key is THE platform key. Its row is created if missing and every
 *   other platform key is revoked, so changing the variable rotates the key.
 * - otherwise, when no platform key exists: one is generated, stored hashed and returned, for the
 *   composition root to print once. Two processes starting at the same instant on an empty
 *   PostgreSQL may each generate one; both are valid and each is printed by its process.
 * - otherwise null.
 */
export async function ensureAdminKey(store: Store, config: Config, clock: Clock): Promise<string | null> {
  if (config.adminKey !== null) {
    const hash = hashApiKey(config.adminKey);
    let row = await store.apiKeys.findByHash(hash);
    if (row === null) {
      try {
        row = newApiKeyRow(
          config.adminKey,
          { tenant_id: null, role: 'platform', name: ENV_KEY_NAME },
          clock.now(),
        );
        await store.apiKeys.create(row);
      } catch (e) {
        // Another process sharing the database inserted the same key first: that is success.
        row = await store.apiKeys.findByHash(hash);
        if (row === null) throw e;
      }
    } else if (row.tenant_id !== null) {
      throw new Error(
        `${ENV_KEY_NAME} is already in use as a key of tenant "${row.tenant_id}"; choose another`,
      );
    }
    await revokeOtherPlatformKeys(store, row.id);
    return null;
  }
  if ((await store.apiKeys.countPlatformKeys()) > 0) return null;
  const key = generateApiKey();
  await store.apiKeys.create(
    newApiKeyRow(key, { tenant_id: null, role: 'platform', name: 'generated on first start' }, clock.now()),
  );
  return key;
}

async function revokeOtherPlatformKeys(store: Store, keepId: string): Promise<void> {
  const stale: string[] = [];
  let before: string | null = null;
  do {
    const page = await store.apiKeys.list(null, { limit: 250, before });
    for (const k of page.data) if (k.id !== keepId) stale.push(k.id);
    before = page.next;
  } while (before !== null);
  for (const id of stale) await store.apiKeys.delete(null, id);
}

/** Who is calling, once the bearer key has been resolved. */
export type Principal =
  { kind: 'platform'; keyId: string } | { kind: 'tenant'; keyId: string; tenantId: string; role: TenantRole };

/**
 * Resolves bearer keys to principals with a short positive cache: a key lookup per request is one
 * indexed read on SQLite but a network round trip on PostgreSQL. A key revoked through this process
 * stops working at once (`forgetKey`/`forgetTenant`); one revoked through another process stops
 * within CACHE_TTL_MS. Unknown keys are never cached, so random guesses cannot grow the map.
 */
const CACHE_TTL_MS = 5_000;
const CACHE_MAX = 10_000;

export class KeyResolver {
  private readonly cache = new Map<string, { principal: Principal; expiresAt: number }>();
  private portal: PortalSessions | null = null;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** `Authorization` header → principal, or null for a missing, malformed or unknown key */
  async resolve(authorization: string | undefined): Promise<Principal | null> {
    const key = bearerKey(authorization);
    if (key === null) return null;
    // signed portal-link sessions are verified, not looked up
    if (key.startsWith(PORTAL_TOKEN_PREFIX))
      return (this.portal ??= new PortalSessions(this.store, this.clock)).verify(key);
    const hash = hashApiKey(key);
    const now = this.clock.now();
    const hit = this.cache.get(hash);
    if (hit !== undefined && hit.expiresAt > now) return hit.principal;
    const row = await this.store.apiKeys.findByHash(hash);
    if (row === null) {
      this.cache.delete(hash);
      return null;
    }
    const principal = toPrincipal(row);
    if (principal === null) return null;
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(hash, { principal, expiresAt: now + CACHE_TTL_MS });
    return principal;
  }

  forgetKey(keyId: string): void {
    for (const [hash, entry] of this.cache) if (entry.principal.keyId === keyId) this.cache.delete(hash);
  }

  forgetTenant(tenantId: string): void {
    for (const [hash, entry] of this.cache) {
      if (entry.principal.kind === 'tenant' && entry.principal.tenantId === tenantId) this.cache.delete(hash);
    }
  }
}

function bearerKey(authorization: string | undefined): string | null {
  if (authorization === undefined) return null;
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
  if (m === null) return null;
  const key = m[1]!;
  return key.length <= MAX_KEY_LENGTH ? key : null;
}

/** an inconsistent row (platform role with a tenant, or a tenant role without one) grants nothing */
function toPrincipal(row: ApiKey): Principal | null {
  if (row.tenant_id === null) return row.role === 'platform' ? { kind: 'platform', keyId: row.id } : null;
  if (row.role === 'platform') return null;
  return { kind: 'tenant', keyId: row.id, tenantId: row.tenant_id, role: row.role };
}
