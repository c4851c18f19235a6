// devices/update's decide-and-append at 10 and at 10,000 events in the device's stream, each update carrying
// 50 keys of 500 characters (the largest metadata allowed), against the real SQLite store (synchronous=FULL).
//   npm run build && node bench/write-path.mjs [--events 10000] [--dist DIR]
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
// Older builds had handleCommand in decider.js.
const { handleCommand } = await load('event-store/handle-command.js').catch(() => load('event-store/decider.js'));
const { deviceDecider } = await load('devices/device.js');

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
const update = (store, n) =>
  handleCommand(
    store,
    'device-d1',
    deviceDecider,
    { type: 'UpdateDevice', deviceId: 'd1', workspaceId: 'w1', customMetadata: metadata(n), actor, now: 'now' },
    { actor },
  );

const dir = mkdtempSync(join(tmpdir(), 'cms-bench-write-'));
const store = new SqliteEventStore(join(dir, 'events.db'));
await handleCommand(store, 'device-d1', deviceDecider, { type: 'AddDevice', device, actor, now: 'now' }, { actor });
let events = 2;
const timeUpdates = async (count) => {
  const times = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await update(store, events);
    times.push(performance.now() - started);
    events += 1;
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
};
while (events < 10) await update(store, events++);
const small = await timeUpdates(50);
while (events < target) await update(store, events++);
const large = await timeUpdates(50);
await store.close();
rmSync(dir, { recursive: true, force: true });
console.log(`Node ${process.version}, code from ${resolve(values.dist)}`);
console.log(
  `RESULT devices/update (50 keys x 500 chars), p50 of 50: ${small.toFixed(2)} ms at ~10 events, ${large.toFixed(2)} ms at ~${target} events (${(large / small).toFixed(2)}x)`,
);
