import { z } from 'zod';
import { HooklaneError } from '../../domain/errors.js';
import type { Api, ApiContext } from '../context.js';
import { PortalSessions } from '../portal-session.js';
import { iso, named, problemResponses, TenantParams } from '../schemas/common.js';

/** links live at least a minute and at most a week */
const EXPIRES_IN_S = { min: 60, max: 7 * 86_400, default: 3_600 } as const;

const PortalLinkBody = z.strictObject({
  expires_in_s: z
    .number()
    .int()
    .min(EXPIRES_IN_S.min)
    .max(EXPIRES_IN_S.max)
    .default(EXPIRES_IN_S.default)
    .describe('60–604800, default 3600'),
  role: z
    .enum(['viewer', 'editor'])
    .default('editor')
    .describe('what the portal may do: viewer reads; editor also manages webhooks and retries'),
});

const PortalLinkSchema = named(
  z.object({
    url: z.string().describe('opens the dashboard signed in to this tenant only; give it to one person'),
    token: z.string().describe('the session token in the url, to embed the portal yourself'),
    tenant_id: z.string(),
    role: z.enum(['viewer', 'editor']),
    expires_at: z.string(),
  }),
  'PortalLink',
);

const WhoAmISchema = named(
  z.object({
    kind: z.enum(['platform', 'tenant']),
    tenant_id: z.string().nullable(),
    role: z.enum(['platform', 'admin', 'editor', 'viewer']),
    portal: z.boolean().describe('signed in through a portal link'),
  }),
  'WhoAmI',
);

export function registerPortalRoutes(app: Api, ctx: ApiContext): void {
  const sessions = new PortalSessions(ctx.store, ctx.clock);

  app.post(
    '/v1/tenants/:tenant/portal-links',
    {
      config: { access: 'tenant:admin' },
      schema: {
        tags: ['portal'],
        summary: 'A signed, short-lived link that opens the dashboard scoped to this tenant',
        description:
          'No api key is needed to use the link; it expires at `expires_at` and cannot reach other tenants or ' +
          'platform routes. Rotating the platform admin key invalidates every link issued before.',
        params: TenantParams,
        body: PortalLinkBody,
        response: { 201: PortalLinkSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const { tenant } = request.params;
      const { expires_in_s, role } = request.body;
      const expiresAt = ctx.clock.now() + expires_in_s * 1000;
      const token = await sessions.issue(tenant, role, expiresAt);
      if (token === null)
        throw new HooklaneError('unavailable', 'no platform admin key exists to sign links');
      const base = ctx.config.publicUrl.replace(/\/+$/, '');
      // in the fragment: browsers never send it, so the token stays out of server and proxy logs
      return reply.code(201).send({
        url: `${base}/portal#token=${token}`,
        token,
        tenant_id: tenant,
        role,
        expires_at: iso(expiresAt),
      });
    },
  );

  app.get(
    '/v1/me',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['portal'],
        summary: 'Who the presented key or portal session is',
        response: { 200: WhoAmISchema, ...problemResponses },
      },
    },
    async (request) => {
      const p = request.principal!;
      if (p.kind === 'platform')
        return { kind: 'platform' as const, tenant_id: null, role: 'platform' as const, portal: false };
      return { kind: 'tenant' as const, tenant_id: p.tenantId, role: p.role, portal: p.keyId === 'portal' };
    },
  );
}
