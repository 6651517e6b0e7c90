/**
 * The bare Fastify denominator of the ingest (#3) and inbound (#8) scenarios: the same routes as
 * hooklane, each parsing the JSON body as Fastify does by default and answering 202, and nothing
 * else (no auth, no validation, no database). Runs in its own process like hooklane.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
const accepted = (_req, reply) => reply.code(202).send({ accepted: true });
app.post('/v1/tenants/:tenant/events', accepted);
app.post('/in/:token', accepted);

await app.listen({ port: 0, host: '127.0.0.1' });
process.send({ ready: true, port: app.server.address().port });
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
