// devices/update's decide-and-append at 10 and at 10,000 events in the device's stream, each update carrying
// 50 keys of 500 characters (the largest metadata allowed), against the real SQLite store (synchronous=FULL).
//   npm run build && node bench/write-path.mjs [--events 10000] [--dist DIR]
import { resolve } from 'node:path';
import { atBothLengths, longest, options } from './support/device-stream.mjs';

const target = Number(options.events);
const [small, large] = await atBothLengths(50, (stream) => () => stream.update());
console.log(`Node ${process.version}, code from ${resolve(options.dist)}`);
console.log(
  `RESULT devices/update (50 keys x 500 chars), p50 of 50 each, taken in turns: ${small.toFixed(2)} ms at ~10 events, ${large.toFixed(2)} ms at ~${target} events (${(large / small).toFixed(2)}x); longest call ${longest.ms.toFixed(1)} ms`,
);
