// Where one durable update's CPU goes, stage by stage, in microseconds per request: the table issue 26 asks
// BENCHMARKS.md to keep. The server runs the bench:http load (POST /connected_accounts/update, 64 accounts,
// another value each time) under `node --cpu-prof`, every thread profiled; each sample's time goes to the
// stage of the nearest frame on its stack that names one (a native SQLite call counts for the JavaScript
// that made it), and each stage's total is divided by the requests answered.
//
// --prototype profiles the throwaway prototype of the write design (bench/prototypes/write-pipeline/) under
// the same load instead, its three threads apart: the main thread (HTTP, authentication, checks, deciding),
// the log thread (the group commit) and the projection thread (projections and checkpoint).
//   npm run bench:write-stages [-- --seconds 10 --connections 32 --prototype]
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { metadataUpdates, seedConnectedAccounts, startService } from './support/service-process.mjs';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    prototype: { type: 'boolean', default: false },
  },
});
const root = join(import.meta.dirname, '..');

// First match wins: the path (or, for native frames, the function name) of a frame, and its stage.
const STAGES = [
  // The prototype's own code (only with --prototype).
  ['prototype: the log thread (group commit, fsync)', /write-pipeline\/log-thread\.mjs/],
  ['prototype: the projection thread (projections, checkpoint, fsync)', /write-pipeline\/projection-thread\.mjs/],
  ['prototype: the route (authentication, checks, deciding, hand-over)', /write-pipeline\/server\.mjs/],
  ['authentication', /dist\/http\/(guards|caller|auth)[^/]*\.js|dist\/workspaces\/(api-key|workspace\.projection)/],
  [
    'logging',
    /node_modules\/(pino|pino-std-serializers|sonic-boom|thread-stream|fast-redact)\/|dist\/common\/logging\.js|dist\/http\/request-log/,
  ],
  ['metrics', /node_modules\/prom-client\/|dist\/http\/metrics|measured-event-store/],
  [
    'parsing and validation',
    /node_modules\/(class-validator|class-transformer|validator|secure-json-parse)\/|dist\/http\/(seam-input|.*\.dto)|dist\/custom-metadata\//,
  ],
  [
    'deciding',
    /dist\/(devices|connected-accounts|connect-webviews|webhooks|workspaces)\/[^/]*(?<!projection)\.js|dist\/event-store\/(decider-command-handler|handle-command|state-cache|decider)\.js/,
  ],
  [
    'the append and its commit',
    /dist\/event-store\/(sqlite-|group-commit|append-decision|upcasting|event-store)|dist\/encryption\//,
  ],
  ['projecting (read models, checkpoint)', /dist\/read-models\/|\.projection\.js/],
  [
    'the other consumers (public events, saga, webhooks)',
    /dist\/(events|completion|webhooks)\/|dist\/event-store\/(checkpointed-consumer|stored-events)/,
  ],
  [
    'the answer (objects, serialising)',
    /node_modules\/(fast-json-stringify|fast-uri|ajv)\/|cqrs\.js$|dist\/http\/seam-route/,
  ],
  [
    'routing and hooks (Fastify, Nest)',
    /node_modules\/(fastify|@fastify|find-my-way|avvio|light-my-request|@nestjs|rxjs|reflect-metadata)\/|dist\/http\//,
  ],
  ["Node's HTTP and sockets", /^node:(_http|http|net|stream|internal\/(http|streams|stream_base|net))|^node:events/],
];

function stageOf(frame) {
  const where = frame.url || '';
  for (const [stage, pattern] of STAGES) if (pattern.test(where)) return stage;
  if (frame.functionName === '(garbage collector)') return 'garbage collection';
  if (frame.functionName === '(idle)' || frame.functionName === '(program)') return null; // not a stage
  return undefined; // ask the caller
}

/** Microseconds of CPU per stage in one .cpuprofile: each node's self time to its nearest named stage. */
function stagesOf(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfMicros = new Map();
  profile.samples.forEach((id, i) => selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const totals = new Map();
  for (const [id, micros] of selfMicros) {
    let stage;
    for (let at = id; at !== undefined && stage === undefined; at = parent.get(at))
      stage = stageOf(byId.get(at).callFrame);
    if (stage === null) continue;
    const name = stage ?? 'other JavaScript';
    totals.set(name, (totals.get(name) ?? 0) + micros);
  }
  return totals;
}

const profiles = mkdtempSync(join(tmpdir(), 'cms-write-stages-'));
const profiling = ['--cpu-prof', `--cpu-prof-dir=${profiles}`, '--cpu-prof-interval=200'];
const server = values.prototype
  ? await startService(root, { ACCOUNTS: '64' }, profiling, 'bench/prototypes/write-pipeline/server.mjs')
  : await startService(root, { RATE_LIMIT_PER_KEY: '0', LOG_LEVEL: 'info' }, profiling);
const apiKey = values.prototype ? 'seam_prototype_key' : server.sandboxApiKey();
const ids = values.prototype
  ? Array.from({ length: 64 }, (_, i) => `account-${i}`)
  : await seedConnectedAccounts(server.url, apiKey, 64);
const result = await autocannon({
  url: server.url,
  connections: Number(values.connections),
  duration: Number(values.seconds),
  requests: metadataUpdates(apiKey, ids),
});
server.stop();
await server.exited();

// The set-up's requests are in the profiles too: counted with the load's, they are under 1 %.
const requests = result.requests.total + (values.prototype ? 0 : 128);
const rows = new Map();
for (const file of readdirSync(profiles).filter((f) => f.endsWith('.cpuprofile'))) {
  const profile = JSON.parse(readFileSync(join(profiles, file), 'utf8'));
  const thread = profile.nodes.some((node) =>
    /-worker\.js$|write-pipeline\/(log|projection)-thread\.mjs$/.test(node.callFrame.url),
  )
    ? 'worker'
    : 'main';
  for (const [stage, micros] of stagesOf(profile)) {
    const row = rows.get(stage) ?? { main: 0, worker: 0 };
    row[thread] += micros;
    rows.set(stage, row);
  }
}
console.log(
  `${result.requests.total} requests in ${values.seconds} s (${Math.round(result.requests.average)} req/s, p99 ${result.latency.p99} ms)`,
);
console.log('| stage | main thread µs/request | other threads µs/request |');
console.log('|---|---|---|');
let main = 0;
let worker = 0;
for (const [stage, row] of [...rows].sort((a, b) => b[1].main + b[1].worker - (a[1].main + a[1].worker))) {
  main += row.main;
  worker += row.worker;
  console.log(`| ${stage} | ${(row.main / requests).toFixed(1)} | ${(row.worker / requests).toFixed(1)} |`);
}
console.log(`| **total** | **${(main / requests).toFixed(1)}** | **${(worker / requests).toFixed(1)}** |`);
process.exit(0);
