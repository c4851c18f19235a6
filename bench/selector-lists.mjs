// `custom_metadata_match` and `as_of` (issue 28) on the lists, over HTTP, on two stores that
// `bench/replay.mjs --keep` generates (1,000,000 events and 20,000 events, the same shapes), each served by a
// real server; every query p50 and p99 over sequential calls, the two sizes in turns, and their ratio. The
// peer, in the same turns: bare Fastify answering each query with the very body the 1,000,000-event server
// gave (bench/servers/bare-fastify-pages.mjs). Each answer is timed to its last byte (`lastByteClient`), and
// each server's CPU per request (all its threads) is read from /proc.
//   npm run build && node bench/selector-lists.mjs [--calls 200] [--large DIR --small DIR]
// Without --large and --small, it generates both (about two minutes, and the replay's own figures print).
//
// The stores' devices (100,000 at 1,000,000 events) end with k0=v8, k2=v6 and k3=v7, and k1=v5 (the front
// doors, half of them) or k1=v9 (the back doors); accounts and webviews have `tenant` t0..t99. Event i is
// recorded at 2026-01-01T00:00:00Z + i ms, so the middle of the history is a moment with half the customers.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuSecondsOf, lastByteClient, quantile, serveBenchStore } from './support/service-process.mjs';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '200' },
    large: { type: 'string' },
    small: { type: 'string' },
  },
});
const root = join(import.meta.dirname, '..');

function generate(events) {
  const stdout = execFileSync(
    process.execPath,
    [join(root, 'bench/replay.mjs'), '--keep', '--events', String(events)],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  process.stdout.write(stdout);
  return /generated \d+ events in [\d.]+ s into (\S+)/.exec(stdout)[1];
}
const stores = [
  { name: '1,000,000 events', events: 1_000_000, dir: values.large },
  { name: '20,000 events', events: 20_000, dir: values.small },
];
for (const store of stores) store.dir ??= generate(store.events);

/** A selector as a GET carries it (as the SDK sends it): `custom_metadata_match.k1.in=v5&…`. */
const match = (selector) =>
  Object.entries(selector)
    .flatMap(([key, rule]) => {
      const name = `custom_metadata_match.${key}`;
      if (typeof rule !== 'object') return [[name, rule]];
      const [operator, operand] = Object.entries(rule)[0];
      return (Array.isArray(operand) ? operand : [operand]).map((value) => [`${name}.${operator}`, value]);
    })
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`)
    .join('&');
const middle = (events) => new Date(Date.parse('2026-01-01T00:00:00.000Z') + events / 2).toISOString();
// Each query with the number of devices it matches at 1,000,000 events.
const queries = [
  ['a value, k1=v5 (50,000 match)', () => `devices/list?${match({ k1: 'v5' })}&limit=100`],
  ['in, k1 in [v5, v9] (100,000)', () => `devices/list?${match({ k1: { in: ['v5', 'v9'] } })}&limit=100`],
  ['not_in, k1 not_in [v9] (50,000)', () => `devices/list?${match({ k1: { not_in: ['v9'] } })}&limit=100`],
  ['exists: true, k3 (100,000)', () => `devices/list?${match({ k3: { exists: true } })}&limit=100`],
  ['exists: false, internal_id (100,000)', () => `devices/list?${match({ internal_id: { exists: false } })}&limit=100`],
  [
    'every form at once (50,000)',
    () =>
      `devices/list?${match({ k0: 'v8', k1: { in: ['v5'] }, k2: { not_in: ['v0'] }, internal_id: { exists: false } })}&limit=100`,
  ],
  [
    'accounts, tenant in [t2, t4] (20,000)',
    () => `connected_accounts/list?${match({ tenant: { in: ['t2', 't4'] } })}&limit=100`,
  ],
  [
    'as_of the middle, k1=v5 (25,000 then)',
    (store) => `devices/list?${match({ k1: 'v5' })}&as_of=${middle(store.events)}&limit=100`,
  ],
  [
    'as_of the middle, every form (25,000 then)',
    (store) =>
      `devices/list?${match({ k0: 'v8', k1: { in: ['v5'] }, k2: { not_in: ['v0'] }, internal_id: { exists: false } })}&as_of=${middle(store.events)}&limit=100`,
  ],
  ['as_of the middle, no filter', (store) => `devices/list?as_of=${middle(store.events)}&limit=100`],
  [
    'as_of the middle, accounts, tenant=t2',
    (store) => `connected_accounts/list?${match({ tenant: 't2' })}&as_of=${middle(store.events)}&limit=100`,
  ],
  ['no extension: custom_metadata_has.k1=v5', () => 'devices/list?custom_metadata_has.k1=v5&limit=100'],
];

const served = [];
for (const store of stores) served.push({ store, ...(await serveBenchStore(root, store.dir)) });

// The peer answers what the large store's server answered, query by query.
const bodies = [];
for (const [, path] of queries) bodies.push(await served[0].get(`/${path(served[0].store)}`));
const bodiesFile = join(mkdtempSync(join(tmpdir(), 'cms-bench-pages-')), 'pages.json');
writeFileSync(bodiesFile, JSON.stringify(bodies));
const peer = spawn(process.execPath, [join(root, 'bench/servers/bare-fastify-pages.mjs'), bodiesFile], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const peerUrl = await new Promise((resolve) =>
  peer.stdout.on('data', (chunk) => {
    const listening = /Listening on (\S+)/.exec(String(chunk));
    if (listening) resolve(listening[1]);
  }),
);
const peerClient = lastByteClient(peerUrl);
const targets = [
  ...served.map((s) => ({
    name: `this service, ${s.store.name}`,
    get: (query) => s.lastByte.get(`/${queries[query][1](s.store)}`),
    cpuSeconds: s.server.cpuSeconds,
  })),
  { name: 'bare Fastify', get: (query) => peerClient.get(`/pages/${query}`), cpuSeconds: () => cpuSecondsOf(peer.pid) },
];

console.log(
  `Node ${process.version}; ${values.calls} calls per query and server, in turns of 20 (each turn every query ` +
    'on every server), each answer timed to its last byte; every query 20 times on every server first, untimed',
);
// Without it the first query timed pays for the servers' warming up (the JIT, SQLite's page cache).
for (const query of queries.keys()) for (const target of targets) for (let n = 0; n < 20; n++) await target.get(query);
// A turn runs every query on every server, so that a stall of the machine (they come in bursts of a few
// milliseconds here, bare Fastify's too) falls on any query and server alike, not on the one measured then.
const times = queries.map(() => targets.map(() => []));
const cpu = queries.map(() => targets.map(() => 0));
for (let turn = 0; turn < Number(values.calls) / 20; turn++) {
  for (const query of queries.keys()) {
    for (const [i, target] of targets.entries()) {
      const cpuBefore = target.cpuSeconds();
      for (let n = 0; n < 20; n++) {
        const started = performance.now();
        await target.get(query);
        times[query][i].push(performance.now() - started);
      }
      cpu[query][i] += target.cpuSeconds() - cpuBefore;
    }
  }
}
for (const [query, [name]] of queries.entries()) {
  const onPage = JSON.parse(await targets[0].get(query));
  const figures = times[query]
    .map((t) => t.sort((a, b) => a - b))
    .map((t, i) => ({ p50: quantile(t, 0.5), p99: quantile(t, 0.99), cpuMs: (cpu[query][i] * 1000) / t.length }));
  console.log(
    `RESULT ${name} (${(onPage.devices ?? onPage.connected_accounts).length} on the page): ${targets
      .map(
        (target, i) =>
          `${target.name} p50 ${figures[i].p50.toFixed(2)} ms p99 ${figures[i].p99.toFixed(2)} ms CPU ${figures[i].cpuMs.toFixed(2)} ms/request`,
      )
      .join('; ')}; p50 ratios: 1,000,000/20,000 ${(figures[0].p50 / figures[1].p50).toFixed(2)}, ` +
      `1,000,000/bare Fastify ${(figures[0].p50 / figures[2].p50).toFixed(2)}`,
  );
}
peerClient.close();
peer.kill();
for (const { server, lastByte } of served) {
  lastByte.close();
  server.stop();
  await server.exited();
}
process.exit(0);
