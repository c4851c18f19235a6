// A projection upgrade under load, on a large store: the 1,000,000-event log that `bench:replay -- --keep`
// leaves. A server serves it under a read and write load; a build whose device projection has a new version
// (CMS_TEST_UPGRADE_PROJECTION=devices, see src/read-model-schema.ts) starts on the same data directory, the
// load moves to it once it is ready and the old server stops, as in a rolling restart. Reported: every
// answer that was not a 200, the latencies before, during and after the rebuild, and how long it took.
//   node bench/replay.mjs --keep              # prints the data directory it generated into
//   npm run build && node bench/upgrade.mjs --data-dir DIR [--clients 4]
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { deterministicId } from '../dist/common/deterministic-id.js';
import { quantile, startService } from './support/service-process.mjs';

const { values } = parseArgs({
  options: { 'data-dir': { type: 'string' }, clients: { type: 'string', default: '4' } },
});
const dataDir = values['data-dir'];
if (!dataDir) throw new Error('--data-dir: the directory `node bench/replay.mjs --keep` generated into');
const root = join(import.meta.dirname, '..');
const env = { DATA_DIR: dataDir, RATE_LIMIT_PER_KEY: '0', METRICS_PORT: '0' };

const issued = execFileSync(
  process.execPath,
  [join(root, 'dist/cli.js'), 'api-key', 'create', '--workspace-id', deterministicId('bench-workspace')],
  { env: { ...process.env, ...env }, encoding: 'utf8' },
);
const apiKey = JSON.parse(issued.trim().split('\n').at(-1)).api_key;
const metricsOf = (server) => /Metrics on (http:\/\/\S+?)["\s]/.exec(server.output())[1];
const detailOf = async (server) =>
  (await (await fetch(metricsOf(server).replace(/\/metrics$/, '/health'))).json()).read_models;

const old = await startService(root, env);
while ((await fetch(`${old.url}/health`)).status !== 200) await sleep(100);
const post = async (url, path, body) =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const devices = (await (await post(old.url, '/devices/list', { limit: 100 })).json()).devices.map((d) => d.device_id);

// The load: each client in turn updates a device, lists a filter's page, gets a device.
let target = old;
let phase = 'before';
let running = true;
const latencies = { before: [], during: [], after: [] };
const failures = [];
let requests = 0;
const client = async (n) => {
  for (let i = n; running; i += Number(values.clients)) {
    const device_id = devices[i % devices.length];
    for (const [path, body] of [
      ['/devices/update', { device_id, custom_metadata: { upgrade_load: `w${i}` } }],
      ['/devices/list', { custom_metadata_has: { k0: 'v8' }, limit: 100 }],
      ['/devices/get', { device_id }],
    ]) {
      const at = phase;
      const started = performance.now();
      try {
        const response = await post(target.url, path, body);
        await response.text();
        if (response.status !== 200) failures.push(`${path}: ${response.status}`);
      } catch (error) {
        failures.push(`${path}: ${String(error)}`);
      }
      latencies[at].push(performance.now() - started);
      requests += 1;
    }
  }
};
const clients = Array.from({ length: Number(values.clients) }, (_, n) => client(n));
await sleep(5_000);

const upgradeStarted = performance.now();
const upgraded = await startService(root, { ...env, CMS_TEST_UPGRADE_PROJECTION: 'devices' });
while ((await fetch(`${upgraded.url}/health`)).status !== 200) await sleep(50);
const readyAfter = (performance.now() - upgradeStarted) / 1000;
phase = 'during';
target = upgraded;
old.stop();
await old.exited();
let rebuilding = (await detailOf(upgraded)).rebuilding;
let peakRss = 0;
while (rebuilding.length > 0) {
  peakRss = Math.max(peakRss, upgraded.rssMiB());
  await sleep(500);
  rebuilding = (await detailOf(upgraded)).rebuilding;
}
const swappedAfter = (performance.now() - upgradeStarted) / 1000;
phase = 'after';
await sleep(5_000);
running = false;
await Promise.all(clients);
const projections = (await detailOf(upgraded)).projections;
upgraded.stop();
await upgraded.exited();

const rebuiltLine = upgraded
  .output()
  .split('\n')
  .find((line) => line.includes('Rebuilt '));
console.log(
  `Node ${process.version}; ${values.clients} clients, each in turn: devices/update, devices/list, devices/get`,
);
console.log(
  `RESULT requests: ${requests}, not 200: ${failures.length}${failures.length ? ` (${failures.slice(0, 5).join('; ')})` : ''}`,
);
console.log(
  `RESULT new build ready (/health 200) after ${readyAfter.toFixed(1)} s; device projection swapped in after ${swappedAfter.toFixed(1)} s; peak RSS meanwhile ${Math.round(peakRss)} MiB`,
);
for (const [at, times] of Object.entries(latencies)) {
  times.sort((a, b) => a - b);
  console.log(
    `RESULT ${at} the swap: ${times.length} requests, p50 ${quantile(times, 0.5).toFixed(2)} ms, p99 ${quantile(times, 0.99).toFixed(2)} ms`,
  );
}
console.log(`RESULT ${rebuiltLine ? JSON.parse(rebuiltLine).msg : 'no rebuild logged'}`);
console.log(`RESULT versions after: ${projections.map((p) => `${p.name} ${p.version}`).join(', ')}`);
process.exit(0);
