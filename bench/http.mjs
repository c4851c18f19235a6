// POST /connected_accounts/update under load, each request a real change (another metadata value), against
// this service (64 accounts, then 1), Seam's own fake (@seamapi/fake-seam-connect, in memory) and bare
// Fastify, each server in its own process, in one run. autocannon drives them from this process. Each
// result also says how much CPU the server used per request (all its threads).
//   npm run bench:http            (= npm run build && node bench/http.mjs [--seconds 10] [--connections 32])
// --postgres adds this service on the PostgreSQL event store (a throwaway Debian cluster, durable commits).
// --prototype adds the throwaway prototype of issue 26's write design (bench/prototypes/write-pipeline/),
// at 64 accounts and at 1, with its main thread's CPU per request. --turns N runs the whole set N times.
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { metadataUpdates, seedConnectedAccounts } from './support/service-process.mjs';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    postgres: { type: 'boolean', default: false },
    prototype: { type: 'boolean', default: false },
    turns: { type: 'string', default: '1' },
  },
});
const root = join(import.meta.dirname, '..');
const require = createRequire(import.meta.url);

/**
 * Starts a server process and waits for the line that names its URL. Its output goes to a file, not to a
 * pipe this process reads: this process is also the load generator, and a server that logs each request
 * (this service does; the peers do not) would otherwise stall on a full pipe whenever autocannon keeps this
 * process busy, which measures the load generator rather than the server.
 */
async function start(args, env, pattern) {
  const logFile = join(mkdtempSync(join(tmpdir(), 'cms-bench-http-log-')), 'server.log');
  const log = openSync(logFile, 'w');
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const output = readFileSync(logFile, 'utf8');
    const match = pattern.exec(output);
    if (match)
      return {
        url: match[1].replace('localhost', '127.0.0.1'),
        cpuSeconds: () => cpuSecondsOf(child.pid),
        stop: () => {
          child.kill('SIGTERM');
          setTimeout(() => rmSync(dirname(logFile), { recursive: true, force: true }), 2000);
        },
      };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** CPU time a process has used so far, all its threads (user + system; /proc/<pid>/stat, in clock ticks). */
function cpuSecondsOf(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}
const CLOCK_TICKS_PER_SECOND = 100;

async function load(name, server, apiKey, accountIds) {
  const { url } = server;
  const cpuBefore = server.cpuSeconds();
  const mainThreadBefore = server.mainThreadMicros ? await server.mainThreadMicros() : 0;
  const result = await autocannon({
    url,
    connections: Number(values.connections),
    duration: Number(values.seconds),
    requests: metadataUpdates(apiKey, accountIds),
  });
  const cpuPerRequestMs = ((server.cpuSeconds() - cpuBefore) * 1000) / result.requests.total;
  const mainThread = server.mainThreadMicros
    ? `, main thread ${(((await server.mainThreadMicros()) - mainThreadBefore) / 1000 / result.requests.total).toFixed(3)} ms`
    : '';
  const failed = result.non2xx + result.errors;
  const row = {
    name,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failed,
    total: result.requests.total,
    cpuPerRequestMs,
  };
  console.log(
    `RESULT ${name}: ${Math.round(row.rps)} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms, ${row.total} requests, ${failed} not 2xx or failed, server CPU ${cpuPerRequestMs.toFixed(3)} ms per request${mainThread}`,
  );
  return row;
}

async function thisService(accounts, store = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'cms-bench-http-'));
  const server = await start(
    ['dist/main.js'],
    // No per-key rate limit: this measures the write path, and the peers have none either.
    { DATA_DIR: dataDir, PORT: '0', METRICS_PORT: '0', HOST: '127.0.0.1', RATE_LIMIT_PER_KEY: '0', ...store },
    /Listening on (http:\/\/\S+)/,
  );
  const apiKey = readFileSync(join(dataDir, 'sandbox-api-key'), 'utf8').trim();
  const ids = await seedConnectedAccounts(server.url, apiKey, accounts);
  try {
    const on = store.EVENT_STORE ? ` on ${store.EVENT_STORE}` : '';
    return await load(`this service${on}, ${accounts} account${accounts === 1 ? '' : 's'}`, server, apiKey, ids);
  } finally {
    server.stop();
    setTimeout(() => rmSync(dataDir, { recursive: true, force: true }), 2000);
  }
}

async function fakeSeamConnect() {
  // The package exports no path to its server: it is the file beside its entry point.
  const serverScript = join(dirname(require.resolve('@seamapi/fake-seam-connect')), 'server.js');
  const server = await start([serverScript, '--seed'], {}, /info\S*: (http:\/\/\S+)/);
  try {
    // The fake's seed: its first workspace's API key, and that workspace's connected accounts.
    const listed = await fetch(`${server.url}/connected_accounts/list`, {
      method: 'POST',
      headers: { authorization: 'Bearer seam_apikey1_token', 'content-type': 'application/json' },
      body: '{}',
    });
    const ids = (await listed.json()).connected_accounts.map((a) => a.connected_account_id);
    return await load('@seamapi/fake-seam-connect (in memory)', server, 'seam_apikey1_token', ids);
  } finally {
    server.stop();
  }
}

async function prototype(accounts) {
  const server = await start(
    ['bench/prototypes/write-pipeline/server.mjs'],
    { ACCOUNTS: String(accounts) },
    /Listening on (http:\/\/\S+)/,
  );
  server.mainThreadMicros = async () => {
    const { mainThreadMicros } = await (await fetch(`${server.url}/cpu`)).json();
    return mainThreadMicros.user + mainThreadMicros.system;
  };
  const ids = Array.from({ length: accounts }, (_, i) => `account-${i}`);
  try {
    const name = `prototype of the write design, ${accounts} account${accounts === 1 ? '' : 's'}`;
    return await load(name, server, 'seam_prototype_key', ids);
  } finally {
    server.stop();
  }
}

async function bareFastify() {
  const server = await start(['bench/servers/bare-fastify.mjs'], {}, /Listening on (http:\/\/\S+)/);
  try {
    return await load('bare Fastify answering {ok:true}', server, 'none', ['x']);
  } finally {
    server.stop();
  }
}

console.log(`Node ${process.version}; ${values.connections} connections for ${values.seconds} s each`);
const ratio = (a, b) => (a.rps / b.rps).toFixed(2);
const cpuRatio = (a, b) => (a.cpuPerRequestMs / b.cpuPerRequestMs).toFixed(2);
let fake;
let many;
let one;
for (let turn = 1; turn <= Number(values.turns); turn++) {
  if (Number(values.turns) > 1) console.log(`TURN ${turn}`);
  const fastify = await bareFastify();
  fake = await fakeSeamConnect();
  many = await thisService(64);
  one = await thisService(1);
  console.log(`RATIO this service (64 accounts) / fake-seam-connect: ${ratio(many, fake)}`);
  console.log(`RATIO this service (64 accounts) / bare Fastify: ${ratio(many, fastify)}`);
  console.log(`RATIO this service (1 account) / this service (64 accounts): ${ratio(one, many)}`);
  console.log(`RATIO CPU per request, this service (64 accounts) / fake-seam-connect: ${cpuRatio(many, fake)}`);
  if (values.prototype) {
    const protoMany = await prototype(64);
    const protoOne = await prototype(1);
    console.log(`RATIO prototype (64 accounts) / fake-seam-connect: ${ratio(protoMany, fake)}`);
    console.log(`RATIO prototype (1 account) / prototype (64 accounts): ${ratio(protoOne, protoMany)}`);
    console.log(`RATIO CPU per request, prototype (64 accounts) / fake-seam-connect: ${cpuRatio(protoMany, fake)}`);
  }
}
if (values.postgres) {
  const { postgresForTests } = await import('../test/support/postgres.ts');
  const postgres = await postgresForTests('bench/http.mjs --postgres');
  if ('skip' in postgres) process.exit(1);
  const onPostgres = async (accounts) =>
    thisService(accounts, { EVENT_STORE: 'postgres', DATABASE_URL: await postgres.createDatabase() });
  const pgMany = await onPostgres(64);
  const pgOne = await onPostgres(1);
  console.log(`RATIO this service on postgres (64 accounts) / fake-seam-connect: ${ratio(pgMany, fake)}`);
  console.log(`RATIO this service on postgres (64 accounts) / on SQLite: ${ratio(pgMany, many)}`);
  console.log(`RATIO this service on postgres (1 account) / on SQLite: ${ratio(pgOne, one)}`);
  await postgres.stop();
}
process.exit(0);
