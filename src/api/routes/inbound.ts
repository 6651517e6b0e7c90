/**
 * The public receiver, `/in/{token}`: no api key (the unguessable token is the secret part of the
 * URL). Registered as its own encapsulated plugin, with its own content-type parser that keeps the
 * body as raw bytes for ANY content type (signatures are computed over exactly those bytes), its own
 * per-source size limit, and its own error handler that records refused requests in the source's
 * request log. The JSON-only parser of the rest of the API is untouched.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HooklaneError } from '../../domain/errors.js';
import type { Source } from '../../domain/types.js';
import { bodyTooLarge, InboundGateway, MAX_SOURCE_BODY_BYTES, reasonOf } from '../../inbound/index.js';
import type { Api, ApiContext } from '../context.js';
import { sendProblem, toHooklaneError } from '../errors.js';

interface InboundState {
  source: Source;
  receivedAt: number;
  body: Buffer;
}

declare module 'fastify' {
  interface FastifyRequest {
    inbound: InboundState | null;
  }
}

const InboundParams = z.object({ token: z.string().max(256) });

export async function registerInboundRoutes(
  app: Api,
  ctx: ApiContext,
  gateway: InboundGateway,
): Promise<void> {
  await app.register(async (scope: Api) => {
    scope.decorateRequest('inbound', null);
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (request, payload, done) => {
      const limit = request.inbound?.source.max_body_bytes ?? MAX_SOURCE_BODY_BYTES;
      const chunks: Buffer[] = [];
      let size = 0;
      let finished = false;
      const finish = (err: Error | null, body?: Buffer) => {
        if (finished) return;
        finished = true;
        payload.removeAllListeners('data');
        if (err !== null) done(err, undefined);
        else done(null, body);
      };
      payload.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) {
          if (request.inbound !== null) request.inbound.body = Buffer.concat(chunks);
          finish(
            request.inbound !== null
              ? bodyTooLarge(request.inbound.source)
              : new HooklaneError('body_too_large'),
          );
          return;
        }
        chunks.push(chunk);
      });
      payload.on('end', () => finish(null, Buffer.concat(chunks, size)));
      payload.on('error', (e: Error) => finish(e));
    });

    scope.addHook('onRequest', async (request: FastifyRequest) => {
      const { token } = request.params as { token?: string };
      const source = token === undefined ? null : await gateway.resolve(token);
      // an unknown token is the one refusal that leaves no trace: there is no source to log it to
      if (source === null) throw new HooklaneError('not_found', 'no source at this URL');
      request.inbound = { source, receivedAt: ctx.clock.now(), body: Buffer.alloc(0) };
      const declared = request.headers['content-length'];
      gateway.admit(source, declared === undefined ? null : Number(declared));
    });

    scope.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
      const problem = toHooklaneError(err);
      if (problem.status >= 500) request.log.error({ err }, 'inbound request failed');
      const state = request.inbound;
      if (state !== null) {
        gateway.record(state.source, inboundRequestOf(request, state), {
          status: problem.status,
          outcome: 'rejected',
          reason: reasonOf(problem),
          eventId: null,
        });
      }
      return sendProblem(reply, problem);
    });

    scope.route({
      method: ['GET', 'POST', 'PUT', 'PATCH'],
      url: '/in/:token',
      config: { access: 'public' },
      schema: {
        tags: ['sources'],
        security: [],
        summary: 'Receive a provider webhook at a source URL (GET only for provider handshakes)',
        description:
          'No api key: the token is the secret. Answers 200 {id} once the event is stored, 200 {id, duplicate: true} for a replay, ' +
          '401 bad signature, 404 unknown or inactive token, 413 too large, 429 rate limited (Retry-After), 400 bad body or schema violation.',
        params: InboundParams,
      },
      handler: async (request, reply) => {
        const state = request.inbound!;
        state.body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const answer = await gateway.receive(state.source, {
          ...inboundRequestOf(request, state),
          query: request.query as Record<string, string | string[] | undefined>,
        });
        gateway.record(state.source, inboundRequestOf(request, state), {
          status: answer.status,
          outcome: answer.outcome,
          reason: null,
          eventId: answer.eventId,
        });
        reply.code(answer.status);
        if (typeof answer.body === 'string') return reply.type('text/plain; charset=utf-8').send(answer.body);
        return reply.type('application/json; charset=utf-8').send(JSON.stringify(answer.body));
      },
    });

    scope.addHook('onClose', async () => {
      await gateway.flush();
    });
  });
}

function inboundRequestOf(request: FastifyRequest, state: InboundState) {
  return {
    id: request.id,
    method: request.method,
    headers: request.headers,
    body: state.body,
    receivedAt: state.receivedAt,
  };
}
