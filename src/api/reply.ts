import type { FastifyReply } from 'fastify';

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * Sends JSON that is already serialised. Fastify passes a string with a JSON content type through
 * untouched, skipping the route's response serializer: used where the bytes exist already (the
 * stored event envelope, the generated OpenAPI document) so they are not built a second time.
 */
export function sendSerialized(reply: FastifyReply, status: number, json: string): FastifyReply {
  return reply.code(status).type(JSON_CONTENT_TYPE).send(json);
}
