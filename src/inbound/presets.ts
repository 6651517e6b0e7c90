/**
 * What each verification preset means beyond its signature check: where the event type and the
 * provider's delivery id (the dedupe key) come from by default, and which request headers carry
 * secrets (removed from stored events, redacted in the request log).
 */
import type {
  SourceEventTypeRule,
  SourceIdRule,
  SourceVerification,
  SourceVerificationType,
} from '../domain/types.js';

export const SOURCE_VERIFICATION_TYPES = [
  'standard_webhooks',
  'stripe',
  'github',
  'shopify',
  'slack',
  'meta',
  'hmac',
  'basic',
  'api_key',
  'none',
] as const satisfies readonly SourceVerificationType[];

/** the largest body a source may accept (its max_body_bytes): the receiver never buffers more */
export const MAX_SOURCE_BODY_BYTES = 16 * 1024 * 1024;

/** the event type when neither the source nor its preset says where to find one */
export const GENERIC_EVENT_TYPE = 'source.received';

interface Preset {
  eventType: SourceEventTypeRule;
  idFrom: SourceIdRule | null;
  /** lower-case names of headers that carry a signature or credential */
  secretHeaders: readonly string[];
}

const PRESETS: Record<SourceVerificationType, Preset> = {
  standard_webhooks: {
    eventType: { from_json_pointer: '/type' },
    idFrom: { header: 'webhook-id' },
    secretHeaders: ['webhook-signature', 'svix-signature'],
  },
  stripe: {
    eventType: { from_json_pointer: '/type', prefix: 'stripe.' },
    idFrom: { json_pointer: '/id' },
    secretHeaders: ['stripe-signature'],
  },
  github: {
    eventType: { from_header: 'x-github-event', prefix: 'github.' },
    idFrom: { header: 'x-github-delivery' },
    secretHeaders: ['x-hub-signature-256', 'x-hub-signature'],
  },
  shopify: {
    eventType: { from_header: 'x-shopify-topic', prefix: 'shopify.' },
    idFrom: { header: 'x-shopify-webhook-id' },
    secretHeaders: ['x-shopify-hmac-sha256'],
  },
  slack: {
    eventType: { from_json_pointer: '/event/type', prefix: 'slack.' },
    idFrom: { json_pointer: '/event_id' },
    secretHeaders: ['x-slack-signature'],
  },
  meta: {
    eventType: { from_json_pointer: '/object', prefix: 'meta.' },
    idFrom: null,
    secretHeaders: ['x-hub-signature-256', 'x-hub-signature'],
  },
  hmac: { eventType: { static: GENERIC_EVENT_TYPE }, idFrom: null, secretHeaders: [] },
  basic: { eventType: { static: GENERIC_EVENT_TYPE }, idFrom: null, secretHeaders: [] },
  api_key: { eventType: { static: GENERIC_EVENT_TYPE }, idFrom: null, secretHeaders: [] },
  none: { eventType: { static: GENERIC_EVENT_TYPE }, idFrom: null, secretHeaders: [] },
};

/** always secret, whatever the preset */
const ALWAYS_SECRET = ['authorization', 'proxy-authorization', 'cookie', 'x-api-key'];

export function defaultEventTypeRuleFor(type: SourceVerificationType): SourceEventTypeRule {
  return PRESETS[type].eventType;
}

export function defaultIdRuleFor(type: SourceVerificationType): SourceIdRule | null {
  return PRESETS[type].idFrom;
}

/** lower-case names of the request headers that must never be stored in clear */
export function secretHeaderNames(v: SourceVerification): Set<string> {
  const names = new Set([...ALWAYS_SECRET, ...PRESETS[v.type].secretHeaders]);
  if (v.type === 'hmac') names.add(v.header.toLowerCase());
  if (v.type === 'api_key') names.add(v.header.toLowerCase());
  return names;
}

/** the secret a verification checks signatures with, or null (basic, api_key, none) */
export function secretOf(v: SourceVerification): string | null {
  return 'secret' in v ? v.secret : null;
}

/** the secret fields of each verification type: shown only on create and by the verification route */
export function withoutSecrets(v: SourceVerification): Record<string, unknown> {
  switch (v.type) {
    case 'basic':
      return { type: v.type, username: v.username };
    case 'api_key':
      return { type: v.type, header: v.header };
    case 'hmac': {
      const { secret: _secret, ...rest } = v;
      return rest;
    }
    default:
      // the provider presets hold nothing but their secret (and Meta's verify token)
      return { type: v.type };
  }
}
