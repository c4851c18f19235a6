// A throwaway prototype of the write design issue 26 proposes, to measure what it can reach on this machine
// (BENCHMARKS.md, "The write budget"). Not the service: one route, POST /connected_accounts/update, with the
// same durability (synchronous=FULL on both files, an answer only once its write is committed and projected).
//   main thread: Fastify, authentication from an in-memory map, checks, decides on the cached folded state
//   log thread: group commit of the log (events.db), then hands the group on
//   projection thread: the group's projections (account row, metadata index, public event) and the
//     checkpoint in one transaction (read-models.db), answering each request's row
// The log commit of group N+1 overlaps the projection commit of group N: two files, two threads.
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import Fastify from 'fastify';

const accounts = Number(process.env.ACCOUNTS ?? 64);
const dataDir = mkdtempSync(join(tmpdir(), 'cms-prototype-'));
const apiKey = 'seam_prototype_key';
const keys = new Map([[createHash('sha256').update(apiKey).digest('hex'), { workspaceId: 'ws-1' }]]);

const { port1: toProjection, port2: fromLog } = new MessageChannel();
const log = new Worker(new URL('./log-thread.mjs', import.meta.url), {
  workerData: { dataDir, projection: toProjection },
  transferList: [toProjection],
});
const projection = new Worker(new URL('./projection-thread.mjs', import.meta.url), {
  workerData: { dataDir, log: fromLog },
  transferList: [fromLog],
});

const waiting = new Map();
projection.on('message', (answers) => {
  for (const { requestId, row, position } of answers) waiting.get(requestId)?.({ row, position });
  for (const { requestId } of answers) waiting.delete(requestId);
});

// The folded state of each account, trusted: this process is the log's only writer here; with several, a
// revision conflict from the log thread would refold and retry.
const states = new Map();
for (let i = 0; i < accounts; i++) states.set(`account-${i}`, { revision: 0, customMetadata: {} });

const app = Fastify();
app.post('/connected_accounts/update', async (request, reply) => {
  const token = (request.headers.authorization ?? '').replace(/^Bearer /, '');
  const caller = keys.get(createHash('sha256').update(token).digest('hex'));
  if (!caller) return reply.code(401).send({ error: { type: 'unauthorized' }, ok: false });
  const { connected_account_id: id, custom_metadata: metadata } = request.body ?? {};
  const state = states.get(id);
  if (typeof id !== 'string' || !state) return reply.code(404).send({ error: { type: 'not_found' }, ok: false });
  if (typeof metadata !== 'object' || metadata === null || Object.keys(metadata).length > 50)
    return reply.code(400).send({ error: { type: 'invalid_input' }, ok: false });
  const before = state.customMetadata;
  const event = {
    id: randomUUID(),
    type: 'MetadataSet',
    data: {
      resource_type: 'connected_account',
      resource_id: id,
      workspace_id: caller.workspaceId,
      custom_metadata: metadata,
      previous_custom_metadata: before,
      cause: { type: 'api_update' },
      changed_at: new Date().toISOString(),
    },
    metadata: { actor: { type: 'api_key' } },
  };
  state.revision += 1;
  state.customMetadata = metadata;
  const requestId = event.id;
  const done = new Promise((resolve) => waiting.set(requestId, resolve));
  log.postMessage({ requestId, stream: `connected_account-${id}`, revision: state.revision, event });
  const { row, position } = await done;
  reply.header('seam-log-position', String(position));
  return { connected_account: row, ok: true };
});
app.get('/cpu', async () => ({ mainThreadMicros: process.threadCpuUsage() }));

// A clean exit on SIGTERM, each thread's last: under --cpu-prof (bench/write-stages.mjs --prototype) every
// thread writes its profile as it exits.
process.once('SIGTERM', async () => {
  await app.close();
  const exited = [log, projection].map((worker) => new Promise((resolve) => worker.once('exit', resolve)));
  log.postMessage('stop');
  projection.postMessage('stop');
  await Promise.all(exited);
  process.exit(0);
});

const address = await app.listen({ port: 0, host: '127.0.0.1' });
console.log(`Listening on ${address}`);
