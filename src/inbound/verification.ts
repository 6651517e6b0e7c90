/** A source's verification rule applied to one request: dispatches to the pure provider verifiers. */
import type { SourceVerification } from '../domain/types.js';
import {
  verifyApiKey,
  verifyBasic,
  verifyGenericHmac,
  verifyHubSignature256,
  verifyShopify,
  verifySlack,
  verifyStripe,
  type HeaderBag,
  type InboundVerifyResult,
  type TimeWindow,
} from '../signing/providers/index.js';
import { verify as verifyStandardWebhooks } from '../signing/standard-webhooks.js';

/**
 * Svix sends Standard Webhooks under its own names (`svix-id`, `svix-timestamp`, `svix-signature`;
 * Clerk, Resend and others use it): the same scheme, so those are read when `webhook-*` are absent.
 */
export function withStandardWebhookAliases(headers: HeaderBag): HeaderBag {
  if (headers['webhook-signature'] !== undefined || headers['svix-signature'] === undefined) return headers;
  return {
    ...headers,
    'webhook-id': headers['svix-id'],
    'webhook-timestamp': headers['svix-timestamp'],
    'webhook-signature': headers['svix-signature'],
  };
}

export function verifyInbound(
  v: SourceVerification,
  body: Buffer,
  headers: HeaderBag,
  window: TimeWindow,
): InboundVerifyResult {
  switch (v.type) {
    case 'standard_webhooks': {
      const r = verifyStandardWebhooks(body, headers, [v.secret], {
        now: window.now,
        toleranceS: window.toleranceS,
      });
      return r.ok ? { ok: true } : { ok: false, reason: r.reason };
    }
    case 'stripe':
      return verifyStripe(body, headers, v.secret, window);
    case 'github':
    case 'meta':
      return verifyHubSignature256(body, headers, v.secret);
    case 'shopify':
      return verifyShopify(body, headers, v.secret);
    case 'slack':
      return verifySlack(body, headers, v.secret, window);
    case 'hmac':
      return verifyGenericHmac(body, headers, v, window);
    case 'basic':
      return verifyBasic(headers, v.username, v.password);
    case 'api_key':
      return verifyApiKey(headers, v.header, v.key);
    case 'none':
      return { ok: true };
  }
}
