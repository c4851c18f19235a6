// Lists with `custom_metadata_has` over HTTP on a large store: the 1,000,000-event log that `bench:replay
// -- --keep` leaves (one workspace; device metadata k0..k3, account and webview metadata `tenant` t0..t99),
// served by a real server, each query p50 and p99 over sequential calls, each answer timed to its last byte
// (`lastByteClient`), and the server's main thread's CPU per request.
//   node bench/replay.mjs --keep              # prints the data directory it generated into
//   npm run build && node bench/large-lists.mjs --data-dir DIR [--calls 200]
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { quantile, serveBenchStore } from './support/service-process.mjs';

const { values } = parseArgs({
  options: { 'data-dir': { type: 'string' }, calls: { type: 'string', default: '200' } },
});
const dataDir = values['data-dir'];
if (!dataDir) throw new Error('--data-dir: the directory `node bench/replay.mjs --keep` generated into');
const { server, lastByte } = await serveBenchStore(join(import.meta.dirname, '..'), dataDir);
const queries = [
  ['devices/list?custom_metadata_has.k0=v8&limit=100', 'devices'],
  // tenant=t2: the store's customers start at even positions, so its tenants are the even ones.
  ['connected_accounts/list?custom_metadata_has.tenant=t2&limit=100', 'connected_accounts'],
  ['connect_webviews/list?custom_metadata_has.tenant=t2&limit=100', 'connect_webviews'],
  // The same page without a filter: what serialising 100 objects costs by itself.
  ['devices/list?limit=100', 'devices'],
  // The key inventory (issue 29): the devices' 4 keys, and the accounts' 2, one of them with a value per account.
  ['custom_metadata/keys/list?resource_type=device', 'custom_metadata_keys'],
  ['custom_metadata/keys/list?resource_type=connected_account', 'custom_metadata_keys'],
  ['health', 'ok'],
];
console.log(`Node ${process.version}; ${values.calls} calls each, one after another, after 10 untimed`);
for (const [path, field] of queries) {
  for (let i = 0; i < 10; i++) await lastByte.get(`/${path}`);
  const answer = JSON.parse(await lastByte.get(`/${path}`))[field];
  const returned = Array.isArray(answer) ? answer.length : 0;
  const times = [];
  const cpuBefore = server.mainThreadCpuSeconds();
  for (let i = 0; i < Number(values.calls); i++) {
    const started = performance.now();
    await lastByte.get(`/${path}`);
    times.push(performance.now() - started);
  }
  const cpuMs = ((server.mainThreadCpuSeconds() - cpuBefore) * 1000) / times.length;
  times.sort((a, b) => a - b);
  console.log(
    `RESULT GET /${path}: p50 ${quantile(times, 0.5).toFixed(2)} ms, p99 ${quantile(times, 0.99).toFixed(2)} ms, ` +
      `main thread CPU ${cpuMs.toFixed(2)} ms/request (${returned} on the page)`,
  );
}
lastByte.close();
server.stop();
await server.exited();
process.exit(0);
