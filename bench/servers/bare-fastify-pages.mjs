// The floor of the list benchmarks: bare Fastify answering `GET /pages/N` with the Nth body of a JSON file
// (an array of answers another server gave), as an object that Fastify serialises on every call, as any
// server of its own would. No database, no authentication, no validation: what answering those bytes costs.
//   node bench/servers/bare-fastify-pages.mjs FILE
import Fastify from 'fastify';
import { readFileSync } from 'node:fs';

const pages = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const app = Fastify();
app.get('/pages/:n', async (request) => pages[Number(request.params.n)]);
const address = await app.listen({ port: 0, host: '127.0.0.1' });
console.log(`Listening on ${address}`);
