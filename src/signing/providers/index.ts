/**
 * Verifiers of inbound providers' webhooks. Each is pure: it takes the raw body bytes exactly as
 * received, the request headers, the secret(s) and a clock window, never parses the body, and
 * compares in constant time. Standard Webhooks senders are verified by ../standard-webhooks.ts.
 */
export {
  checkTimestamp,
  header,
  secretEquals,
  type HeaderBag,
  type HmacAlgorithm,
  type InboundFailureReason,
  type InboundVerifyResult,
  type TimeWindow,
} from './common.js';
export { verifyApiKey, verifyBasic } from './credentials.js';
export { signedContent, verifyGenericHmac, type GenericHmacConfig } from './generic-hmac.js';
export { verifyHubSignature256 } from './hub-signature.js';
export { verifyShopify } from './shopify.js';
export { verifySlack } from './slack.js';
export { verifyStripe } from './stripe.js';
