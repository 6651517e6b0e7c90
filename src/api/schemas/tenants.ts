import { z } from 'zod';
import { TENANT_ID_PATTERN } from '../../domain/ids.js';
import type { ApiKey, Tenant } from '../../domain/types.js';
import { named, iso, isoOrNull, IsoTime, JsonObjectInput, JsonObjectOutput } from './common.js';

const TenantName = z.string().trim().min(1).max(256);

export const TenantCreateBody = z.strictObject({
  id: z.string().regex(TENANT_ID_PATTERN, 'must match ^[a-zA-Z0-9_-]{1,64}$').optional(),
  name: TenantName,
  metadata: JsonObjectInput.optional(),
});

export const TenantPatchBody = z.strictObject({
  name: TenantName.optional(),
  metadata: JsonObjectInput.optional(),
});

export const TenantSchema = z.object({
  id: z.string(),
  name: z.string(),
  metadata: JsonObjectOutput,
  created_at: IsoTime,
  updated_at: IsoTime,
});
named(TenantSchema, 'Tenant');

export function presentTenant(t: Tenant): z.output<typeof TenantSchema> {
  return {
    id: t.id,
    name: t.name,
    metadata: t.metadata,
    created_at: iso(t.created_at),
    updated_at: iso(t.updated_at),
  };
}

export const ApiKeyRole = z.enum(['admin', 'editor', 'viewer']);

export const ApiKeyCreateBody = z.strictObject({
  role: ApiKeyRole,
  name: z.string().trim().max(256).optional(),
});

export const ApiKeySchema = z.object({
  id: z.string(),
  tenant_id: z.string().nullable(),
  role: z.string(),
  name: z.string(),
  key_prefix: z.string().describe('the first characters of the key, to tell keys apart'),
  created_at: IsoTime,
  last_used_at: IsoTime.nullable(),
});
named(ApiKeySchema, 'ApiKey');

export const ApiKeyCreatedSchema = ApiKeySchema.extend({
  key: z.string().describe('the bearer key; shown only in this response'),
});
named(ApiKeyCreatedSchema, 'ApiKeyCreated');

export function presentApiKey(k: ApiKey): z.output<typeof ApiKeySchema> {
  return {
    id: k.id,
    tenant_id: k.tenant_id,
    role: k.role,
    name: k.name,
    key_prefix: k.key_prefix,
    created_at: iso(k.created_at),
    last_used_at: isoOrNull(k.last_used_at),
  };
}
