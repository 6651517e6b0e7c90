/** Signing: Standard Webhooks for outbound deliveries. Pure, raw bytes, no JSON parsing. */
export {
  DEFAULT_TOLERANCE_S,
  SECRET_PREFIX,
  generateSecret,
  isValidSecret,
  sign,
  signatureHeader,
  verify,
  type HeaderBag,
  type VerifyFailureReason,
  type VerifyOptions,
  type VerifyResult,
} from './standard-webhooks.js';
