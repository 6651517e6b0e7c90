/**
 * How each provider signs a webhook, for tests. Where the provider publishes an official library on
 * npm it is used (stripe, @octokit/webhooks-methods, standardwebhooks); otherwise the helper follows
 * the provider's published algorithm, written here independently of hooklane's verifiers.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { sign as githubSign } from '@octokit/webhooks-methods';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import Stripe from 'stripe';

const stripe = new Stripe('sk_test_not_a_real_key');

export interface SignOptions {
  secret: string;
  /** unix seconds of the signature (timestamped schemes) */
  timestampS: number;
  /** the provider's delivery id, where it sends one */
  deliveryId: string;
}

export interface PresetCase {
  preset: string;
  /** the `verification` of the source */
  verification: (secret: string) => Record<string, unknown>;
  secret: () => string;
  contentType: string;
  body: (n: number) => string;
  sign: (body: string, o: SignOptions) => Promise<Record<string, string>>;
  /** headers whose absence must be refused */
  required: string[];
  /** the scheme signs a timestamp (stale and future ones must be refused) */
  timestamped: boolean;
  /** the scheme signs the body (credential schemes do not: a changed body cannot be noticed) */
  signsBody: boolean;
  expectedType: string;
}

const hmacHex = (alg: string, key: string, data: string) => createHmac(alg, key).update(data).digest('hex');
const hmacB64 = (alg: string, key: string, data: string) =>
  createHmac(alg, key).update(data).digest('base64');
const json = (o: unknown) => JSON.stringify(o);

export const PRESET_CASES: PresetCase[] = [
  {
    preset: 'standard_webhooks',
    verification: (secret) => ({ type: 'standard_webhooks', secret }),
    secret: () => `whsec_${randomBytes(32).toString('base64')}`,
    contentType: 'application/json',
    body: (n) => json({ type: 'invoice.paid', data: { n } }),
    sign: async (body, o) => {
      const signature = new StandardWebhook(o.secret).sign(o.deliveryId, new Date(o.timestampS * 1000), body);
      return {
        'webhook-id': o.deliveryId,
        'webhook-timestamp': String(o.timestampS),
        'webhook-signature': signature,
      };
    },
    required: ['webhook-signature', 'webhook-timestamp', 'webhook-id'],
    timestamped: true,
    signsBody: true,
    expectedType: 'invoice.paid',
  },
  {
    preset: 'stripe',
    verification: (secret) => ({ type: 'stripe', secret }),
    secret: () => `whsec_${randomBytes(24).toString('hex')}`,
    contentType: 'application/json; charset=utf-8',
    body: (n) =>
      json({
        id: `evt_stripe_${n}_${randomUUID()}`,
        object: 'event',
        type: 'payment_intent.succeeded',
        data: { n },
      }),
    sign: async (body, o) => ({
      'stripe-signature': stripe.webhooks.generateTestHeaderString({
        payload: body,
        secret: o.secret,
        timestamp: o.timestampS,
      }),
    }),
    required: ['stripe-signature'],
    timestamped: true,
    signsBody: true,
    expectedType: 'stripe.payment_intent.succeeded',
  },
  {
    preset: 'github',
    verification: (secret) => ({ type: 'github', secret }),
    secret: () => randomBytes(20).toString('hex'),
    contentType: 'application/json',
    body: (n) => json({ action: 'opened', number: n, repository: { full_name: 'acme/app' } }),
    sign: async (body, o) => ({
      'x-hub-signature-256': await githubSign(o.secret, body),
      'x-github-event': 'pull_request',
      'x-github-delivery': o.deliveryId,
    }),
    required: ['x-hub-signature-256'],
    timestamped: false,
    signsBody: true,
    expectedType: 'github.pull_request',
  },
  {
    // https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-5-verify-the-webhook
    preset: 'shopify',
    verification: (secret) => ({ type: 'shopify', secret }),
    secret: () => randomBytes(16).toString('hex'),
    contentType: 'application/json',
    body: (n) => json({ id: n, email: 'ada@example.com', total_price: '10.00' }),
    sign: async (body, o) => ({
      'x-shopify-hmac-sha256': hmacB64('sha256', o.secret, body),
      'x-shopify-topic': 'orders/create',
      'x-shopify-webhook-id': o.deliveryId,
      'x-shopify-shop-domain': 'acme.myshopify.com',
    }),
    required: ['x-shopify-hmac-sha256'],
    timestamped: false,
    signsBody: true,
    expectedType: 'shopify.orders.create',
  },
  {
    // https://api.slack.com/authentication/verifying-requests-from-slack
    preset: 'slack',
    verification: (secret) => ({ type: 'slack', secret }),
    secret: () => randomBytes(16).toString('hex'),
    contentType: 'application/json',
    body: (n) =>
      json({
        type: 'event_callback',
        event_id: `Ev${n}${randomUUID()}`,
        event: { type: 'app_mention', text: `hi ${n}` },
      }),
    sign: async (body, o) => ({
      'x-slack-request-timestamp': String(o.timestampS),
      'x-slack-signature': `v0=${hmacHex('sha256', o.secret, `v0:${o.timestampS}:${body}`)}`,
    }),
    required: ['x-slack-signature', 'x-slack-request-timestamp'],
    timestamped: true,
    signsBody: true,
    expectedType: 'slack.app_mention',
  },
  {
    // https://developers.facebook.com/docs/graph-api/webhooks/getting-started#validate-payloads
    preset: 'meta',
    verification: (secret) => ({ type: 'meta', secret, verify_token: 'my-verify-token' }),
    secret: () => randomBytes(16).toString('hex'),
    contentType: 'application/json',
    body: (n) =>
      json({
        object: 'whatsapp_business_account',
        entry: [
          {
            id: String(n),
            changes: [{ field: 'messages', value: { messages: [{ id: `wamid.${randomUUID()}` }] } }],
          },
        ],
      }),
    sign: async (body, o) => ({ 'x-hub-signature-256': `sha256=${hmacHex('sha256', o.secret, body)}` }),
    required: ['x-hub-signature-256'],
    timestamped: false,
    signsBody: true,
    expectedType: 'meta.whatsapp_business_account',
  },
  {
    // a WhatsApp API service posting session events: HMAC-SHA512, base64, over "{timestamp}.{body}"
    preset: 'hmac',
    verification: (secret) => ({
      type: 'hmac',
      secret,
      header: 'x-signature',
      algorithm: 'sha512',
      encoding: 'base64',
      prefix: 'sha512=',
      timestamp_header: 'x-timestamp',
      signed_content: '{timestamp}.{body}',
    }),
    secret: () => randomBytes(32).toString('hex'),
    contentType: 'application/json',
    body: (n) => json({ session: 'alpha', event: 'message', n }),
    sign: async (body, o) => ({
      'x-timestamp': String(o.timestampS),
      'x-signature': `sha512=${hmacB64('sha512', o.secret, `${o.timestampS}.${body}`)}`,
    }),
    required: ['x-signature', 'x-timestamp'],
    timestamped: true,
    signsBody: true,
    expectedType: 'source.received',
  },
  {
    preset: 'basic',
    verification: (secret) => ({ type: 'basic', username: 'acme', password: secret }),
    secret: () => randomBytes(12).toString('hex'),
    contentType: 'application/x-www-form-urlencoded',
    body: (n) => `command=%2Fdeploy&text=prod+${n}&user=ada`,
    sign: async (_body, o) => ({
      authorization: `Basic ${Buffer.from(`acme:${o.secret}`).toString('base64')}`,
    }),
    required: ['authorization'],
    timestamped: false,
    signsBody: false,
    expectedType: 'source.received',
  },
  {
    preset: 'api_key',
    verification: (secret) => ({ type: 'api_key', header: 'x-hook-key', key: secret }),
    secret: () => randomBytes(16).toString('hex'),
    contentType: 'text/plain',
    body: (n) => `status line ${n}`,
    sign: async (_body, o) => ({ 'x-hook-key': o.secret }),
    required: ['x-hook-key'],
    timestamped: false,
    signsBody: false,
    expectedType: 'source.received',
  },
];
