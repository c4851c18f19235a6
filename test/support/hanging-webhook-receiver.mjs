// Run with --expose-gc: POSTs through the built webhook delivery code to a local server that accepts the
// request and never answers, forcing garbage collections all along, and prints when and how it failed.
import { createServer } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const { postToWebhook } = await import(
  pathToFileURL(join(import.meta.dirname, '../../dist/webhooks/webhook-request.js')).href
);

const server = createServer(() => {}); // never answers
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address();
let collections = 0;
const gcs = setInterval(() => {
  globalThis.gc();
  collections++;
}, 20);
const started = performance.now();
const target = { url: new URL(`http://127.0.0.1:${port}/hook`), address: '127.0.0.1', family: 4 };
let error = null;
try {
  await postToWebhook(target, { 'content-type': 'application/json' }, '{}', 500, new AbortController().signal);
} catch (e) {
  error = e.message;
}
const elapsedMs = Math.round(performance.now() - started);
clearInterval(gcs);
server.closeAllConnections();
server.close();
process.stdout.write(JSON.stringify({ error, elapsedMs, collections }));
