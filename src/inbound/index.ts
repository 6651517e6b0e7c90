/** The inbound gateway: sources that receive, verify, dedupe and route providers' webhooks. */
export {
  bodyTooLarge,
  hashToken,
  InboundGateway,
  reasonOf,
  type InboundAnswer,
  type InboundRequest,
} from './gateway.js';
export { MAX_SOURCE_BODY_BYTES, secretOf, SOURCE_VERIFICATION_TYPES, withoutSecrets } from './presets.js';
