// `as_of` on a device whose stream holds about 10 and then `--events` events, each update carrying 50 keys
// of 500 characters: AsOfReads.read (what devices/get with as_of runs) against the real SQLite store.
//   npm run build && node bench/as-of.mjs [--events 10000] [--dist DIR]
import { resolve } from 'node:path';
import { atBothLengths, load, longest, options } from './support/device-stream.mjs';

const { deviceReadModel, findDevice } = await load('devices/device.projection.js');
// Builds before AsOfReads had a function, readAsOf(store, ...).
const asOfModule = await load('read-models/as-of.js');
const readersOf = new Map();
const readAsOf = (store, ...rest) => {
  if (!asOfModule.AsOfReads) return asOfModule.readAsOf(store, ...rest);
  if (!readersOf.has(store)) readersOf.set(store, new asOfModule.AsOfReads(store));
  return readersOf.get(store).read(...rest);
};

const target = Number(options.events);
const asOf = (stream) => async () => {
  const found = await readAsOf(stream.store, ['device-d1'], new Date(), [deviceReadModel], (db) =>
    findDevice(db, 'w1', 'd1'),
  );
  if (!found) throw new Error('no device');
};
const [small, large] = await atBothLengths(100, asOf);
console.log(`Node ${process.version}, code from ${resolve(options.dist)}`);
console.log(
  `RESULT as_of (50 keys x 500 chars), p50 of 100 each, taken in turns: ${small.toFixed(2)} ms at ~10 events, ${large.toFixed(2)} ms at ~${target} events (${(large / small).toFixed(2)}x); longest call ${longest.ms.toFixed(1)} ms`,
);
