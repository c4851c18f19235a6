// `as_of` on a device whose stream holds about 10 and then `--events` events, each update carrying 50 keys
// of 500 characters: readAsOf (what devices/get with as_of runs) against the real SQLite store.
//   npm run build && node bench/as-of.mjs [--events 10000] [--dist DIR]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    dist: { type: 'string', default: join(import.meta.dirname, '../dist') },
    events: { type: 'string', default: '10000' },
  },
});
const target = Number(values.events);
const load = (path) => import(pathToFileURL(resolve(values.dist, path)).href);
const { SqliteEventStore } = await load('event-store/sqlite-event-store.js');
const { handleCommand } = await load('event-store/handle-command.js').catch(() => load('event-store/decider.js'));
const { deviceDecider } = await load('devices/device.js');
const { deviceReadModel, findDevice } = await load('devices/device.projection.js');
const { readAsOf } = await load('read-models/as-of.js');

const actor = { type: 'cli' };
const device = {
  device_id: 'd1',
  workspace_id: 'w1',
  connected_account_id: 'a1',
  connect_webview_id: 'c1',
  provider: 'august',
  device_type: 'august_lock',
  name: 'Door',
  model: 'm',
};
const metadata = (n) => Object.fromEntries(Array.from({ length: 50 }, (_, k) => [`key_${k}`, `${n}`.padEnd(500, 'x')]));
const dir = mkdtempSync(join(tmpdir(), 'cms-bench-asof-'));
const store = new SqliteEventStore(join(dir, 'events.db'));
const command = (n) => ({
  type: 'UpdateDevice',
  deviceId: 'd1',
  workspaceId: 'w1',
  customMetadata: metadata(n),
  actor,
  now: 'now',
});
await handleCommand(store, 'device-d1', deviceDecider, { type: 'AddDevice', device, actor, now: 'now' }, { actor });
let events = 2;
const timeAsOf = async () => {
  const times = [];
  for (let i = 0; i < 20; i++) {
    const started = performance.now();
    const found = await readAsOf(store, ['device-d1'], new Date(), [deviceReadModel], (db) =>
      findDevice(db, 'w1', 'd1'),
    );
    if (!found) throw new Error('no device');
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[10];
};
while (events < 10) await handleCommand(store, 'device-d1', deviceDecider, command(events++), { actor });
const small = await timeAsOf();
while (events < target) await handleCommand(store, 'device-d1', deviceDecider, command(events++), { actor });
const large = await timeAsOf();
await store.close();
rmSync(dir, { recursive: true, force: true });
console.log(`Node ${process.version}, code from ${resolve(values.dist)}`);
console.log(
  `RESULT as_of (50 keys x 500 chars), p50 of 20: ${small.toFixed(1)} ms at ~10 events, ${large.toFixed(1)} ms at ~${target} events (${(large / small).toFixed(1)}x)`,
);
