// custom_metadata_history's first page (500 entries at most, as the route's default limit) on a device whose
// stream holds about 10 and then `--events` events of the largest metadata: what the route's handler runs.
//   npm run build && node bench/history.mjs [--events 10000] [--dist DIR]
import { resolve } from 'node:path';
import { atBothLengths, load, longest, options } from './support/device-stream.mjs';

const { customMetadataHistoryAfter } = await load('audit/audit.js');
const resource = { type: 'device', idField: 'device_id', id: 'd1' };
const target = Number(options.events);
// A page of 5 (6 entries read, to know whether there is a next page) is full at both lengths, so both pages
// parse the same number of 50 KB entries and only the stream's length differs.
const PAGE = 5;
const firstPage = (stream) => async () => {
  const entries = await customMetadataHistoryAfter(stream.store, resource, 'w1', -1, PAGE + 1);
  if (entries.length === 0) throw new Error('no history');
};
const [small, large] = await atBothLengths(100, firstPage);
console.log(`Node ${process.version}, code from ${resolve(options.dist)}`);
console.log(
  `RESULT custom_metadata_history, first page of ${PAGE}, p50 of 100 each, taken in turns: ${small.toFixed(2)} ms at ~10 events, ${large.toFixed(2)} ms at ~${target} events (${(large / small).toFixed(2)}x); longest call ${longest.ms.toFixed(1)} ms`,
);
