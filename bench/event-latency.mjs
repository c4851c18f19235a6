// How soon an update's event reaches its subscribers: from the moment `connected_accounts/update` answers to
// the moment its `connected_account.custom_metadata_changed` arrives on an open /events/stream and at a
// local webhook receiver (its first attempt). Updates are sent one after another, each waiting for its
// event on both, so each latency is one event's alone.
//   npm run bench:event-latency   (= npm run build && node bench/event-latency.mjs [--updates 1000] [--root DIR])
// --root runs another build of the service (a checkout of an older commit, built), for a before/after.
import { createServer } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { quantile, seedConnectedAccounts, startService } from './support/service-process.mjs';

const { values } = parseArgs({
  options: {
    updates: { type: 'string', default: '1000' },
    root: { type: 'string', default: join(import.meta.dirname, '..') },
  },
});
const root = values.root;
const EVENT_TYPE = 'connected_account.custom_metadata_changed';
const server = await startService(root, {
  WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
  WEBHOOK_ALLOWED_PORTS: 'any',
  RATE_LIMIT_PER_KEY: '0',
});
const apiKey = server.sandboxApiKey();
const post = async (path, body) => {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.json();
};

/** Arrival times by the update's number, one map per subscriber; `waiting` is told of each arrival. */
const arrivals = { stream: new Map(), webhook: new Map() };
let waiting = () => undefined;
const arrived = (where, text) => {
  const at = performance.now();
  for (const match of text.matchAll(/bench-update-(\d+)/g)) {
    if (!arrivals[where].has(Number(match[1]))) arrivals[where].set(Number(match[1]), at);
  }
  waiting();
};

const receiver = createServer((request, response) => {
  let body = '';
  request.on('data', (chunk) => (body += chunk));
  request.on('end', () => {
    response.end();
    arrived('webhook', body);
  });
});
await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
await post('/webhooks/create', { url: `http://127.0.0.1:${receiver.address().port}/hook`, event_types: [EVENT_TYPE] });

const [accountId] = await seedConnectedAccounts(server.url, apiKey, 1);
const stream = await fetch(`${server.url}/events/stream?event_types=${EVENT_TYPE}`, {
  headers: { authorization: `Bearer ${apiKey}` },
});
void (async () => {
  const decoder = new TextDecoder();
  for await (const chunk of stream.body) arrived('stream', decoder.decode(chunk, { stream: true }));
})();

const latencies = { stream: [], webhook: [] };
const updates = Number(values.updates);
for (let n = 0; n < updates; n++) {
  await post('/connected_accounts/update', {
    connected_account_id: accountId,
    custom_metadata: { value: `bench-update-${n}` },
  });
  const answeredAt = performance.now();
  while (!arrivals.stream.has(n) || !arrivals.webhook.has(n)) await new Promise((resolve) => (waiting = resolve));
  for (const where of ['stream', 'webhook']) latencies[where].push(arrivals[where].get(n) - answeredAt);
}

console.log(`Node ${process.version}; ${updates} updates, one after another`);
for (const where of ['stream', 'webhook']) {
  const sorted = latencies[where].sort((a, b) => a - b);
  const label = where === 'stream' ? 'an open /events/stream' : 'a local webhook receiver (first attempt)';
  console.log(
    `RESULT from the update's answer to its event at ${label}: p50 ${quantile(sorted, 0.5).toFixed(2)} ms, ` +
      `p99 ${quantile(sorted, 0.99).toFixed(2)} ms, max ${sorted.at(-1).toFixed(2)} ms ` +
      `(negative: the event came before the answer)`,
  );
}
server.stop();
receiver.close();
await server.exited();
process.exit(0);
