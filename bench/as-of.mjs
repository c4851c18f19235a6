// `as_of` on a device whose stream holds about 10 and then `--events` events, each update carrying 50 keys
// of 500 characters: readAsOf (what devices/get with as_of runs) against the real SQLite store.
//   npm run build && node bench/as-of.mjs [--events 10000] [--dist DIR]
import { resolve } from 'node:path';
import { deviceStream, load, longest, median, options } from './support/device-stream.mjs';

const { deviceReadModel, findDevice } = await load('devices/device.projection.js');
const { readAsOf } = await load('read-models/as-of.js');

const target = Number(options.events);
const stream = await deviceStream();
const asOf = () =>
  median(100, async () => {
    const found = await readAsOf(stream.store, ['device-d1'], new Date(), [deviceReadModel], (db) =>
      findDevice(db, 'w1', 'd1'),
    );
    if (!found) throw new Error('no device');
  });
await stream.growTo(10);
const small = await asOf();
await stream.growTo(target);
const large = await asOf();
await stream.close();
console.log(`Node ${process.version}, code from ${resolve(options.dist)}`);
console.log(
  `RESULT as_of (50 keys x 500 chars), p50 of 100: ${small.toFixed(1)} ms at ~10 events, ${large.toFixed(1)} ms at ~${target} events (${(large / small).toFixed(1)}x); longest call ${longest.ms.toFixed(1)} ms`,
);
