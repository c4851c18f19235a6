// Lists with `custom_metadata_has` over HTTP on a large store: the 1,000,000-event log that `bench:replay
// -- --keep` leaves (one workspace; device metadata k0..k3, account and webview metadata `tenant` t0..t99),
// served by a real server, each query p50 and p99 over sequential calls.
//   node bench/replay.mjs --keep              # prints the data directory it generated into
//   npm run build && node bench/large-lists.mjs --data-dir DIR [--calls 200]
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { deterministicId } from '../dist/common/deterministic-id.js';
import { quantile, startService } from './support/service-process.mjs';
import { setTimeout as sleep } from 'node:timers/promises';

const { values } = parseArgs({
  options: { 'data-dir': { type: 'string' }, calls: { type: 'string', default: '200' } },
});
const dataDir = values['data-dir'];
if (!dataDir) throw new Error('--data-dir: the directory `node bench/replay.mjs --keep` generated into');
const root = join(import.meta.dirname, '..');
const env = { ...process.env, DATA_DIR: dataDir, RATE_LIMIT_PER_KEY: '0' };

// The bench store's workspace has no usable key: issue one, as an operator would.
const issued = execFileSync(
  process.execPath,
  [join(root, 'dist/cli.js'), 'api-key', 'create', '--workspace-id', deterministicId('bench-workspace')],
  { env, encoding: 'utf8' },
);
const apiKey = JSON.parse(issued.trim().split('\n').at(-1)).api_key;

// DATA_DIR names the store: startService's own directory then holds only the server's output.
const server = await startService(root, { DATA_DIR: dataDir, RATE_LIMIT_PER_KEY: '0', METRICS_PORT: '0' });
const { url } = server;
while ((await fetch(`${url}/health`)).status !== 200) await sleep(100);
// A store that was never served has a saga that has not read the log yet: it does, in the background, before
// anything is timed (its catch-up costs every request meanwhile).
const metrics = /Metrics on (http:\/\/\S+?)["\s]/.exec(server.output())[1];
const caughtUp = (text) => /event_store_consumer_lag_events\{consumer="completion_saga"\} 0\b/.test(text);
while (!caughtUp(await (await fetch(metrics)).text())) await sleep(500);

const get = async (path) => {
  const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${apiKey}` } });
  if (response.status !== 200) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.json();
};
const queries = [
  ['devices/list?custom_metadata_has.k0=v8&limit=100', 'devices'],
  // tenant=t2: the store's customers start at even positions, so its tenants are the even ones.
  ['connected_accounts/list?custom_metadata_has.tenant=t2&limit=100', 'connected_accounts'],
  ['connect_webviews/list?custom_metadata_has.tenant=t2&limit=100', 'connect_webviews'],
  // The same page without a filter: what serialising 100 objects costs by itself.
  ['devices/list?limit=100', 'devices'],
  ['health', 'ok'],
];
console.log(`Node ${process.version}; ${values.calls} calls each, one after another, after 10 untimed`);
for (const [path, field] of queries) {
  for (let i = 0; i < 10; i++) await get(`/${path}`);
  const times = [];
  let returned = 0;
  for (let i = 0; i < Number(values.calls); i++) {
    const started = performance.now();
    const answer = (await get(`/${path}`))[field];
    returned = Array.isArray(answer) ? answer.length : 0;
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  console.log(
    `RESULT GET /${path}: p50 ${quantile(times, 0.5).toFixed(2)} ms, p99 ${quantile(times, 0.99).toFixed(2)} ms (${returned} on the page)`,
  );
}
server.stop();
await server.exited();
process.exit(0);
