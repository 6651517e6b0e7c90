/**
 * `hooklane/sdk`: receive webhooks from hooklane (verify signatures; Express, Fastify and node:http
 * helpers) and call its API (a typed client). Node built-ins and the global fetch only.
 */
export { Hooklane, type HooklaneOptions, type SendOptions } from './client.js';
export { HooklaneApiError, HooklaneConnectionError } from './errors.js';
export {
  verifyWebhook,
  verifyWebhookSignature,
  WebhookVerificationError,
  type RawBody,
  type VerifiedMessage,
  type VerifyWebhookOptions,
  type WebhookHeaders,
  type WebhookVerificationReason,
} from './verify.js';
export {
  DEFAULT_MAX_BODY_BYTES,
  expressWebhook,
  fastifyWebhook,
  readAndVerify,
  readRawBody,
  rejectWebhook,
  webhookEvent,
  type FastifyWebhookOptions,
  type ReceiveOptions,
} from './middleware.js';
export type * from './types.js';
