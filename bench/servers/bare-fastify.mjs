// The floor of the HTTP comparison: bare Fastify answering {ok:true} on the same route, nothing else.
import Fastify from 'fastify';

const app = Fastify();
app.post('/connected_accounts/update', async () => ({ ok: true }));
const address = await app.listen({ port: 0, host: '127.0.0.1' });
console.log(`Listening on ${address}`);
