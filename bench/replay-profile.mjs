// Where a one-thread replay's time goes, projection by projection: the read models rebuilt from the log of a
// data directory (the 1,000,000-event store `node bench/replay.mjs --keep` leaves) into a scratch set loaded
// the fast way, with each projection's file timed as the projector feeds it. The rest is reading the log,
// parsing and unsealing it. What bounds `replay --threads` (one thread for the public events, one for the
// rest): its slower thread.
//   npm run build && node bench/replay-profile.mjs --data-dir DIR
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { replayInto } from '../dist/audit/replay.js';
import { loadConfig } from '../dist/common/config.js';
import { READ_MODEL_SCHEMA } from '../dist/read-model-schema.js';
import { ProjectionDatabase, ReadModelDatabase } from '../dist/read-models/read-model-database.js';
import { openEventStore } from '../dist/runtime.js';

const { values } = parseArgs({ options: { 'data-dir': { type: 'string' } } });
if (!values['data-dir']) throw new Error('--data-dir: the directory `node bench/replay.mjs --keep` generated into');
const store = openEventStore(loadConfig({ ...process.env, DATA_DIR: values['data-dir'] }));
const spent = new Map();
const project = ProjectionDatabase.prototype.project;
ProjectionDatabase.prototype.project = function (events) {
  const started = performance.now();
  try {
    return project.call(this, events);
  } finally {
    spent.set(this.name, (spent.get(this.name) ?? 0) + performance.now() - started);
  }
};
const scratch = mkdtempSync(join(tmpdir(), 'cms-replay-profile-'));
const readModels = new ReadModelDatabase(join(scratch, 'read-models.db'), READ_MODEL_SCHEMA);
readModels.bulkLoad();
const started = performance.now();
const events = await replayInto(store, readModels, await store.headPosition());
const feeding = performance.now() - started;
const durable = performance.now();
readModels.makeDurable();
const makingDurable = performance.now() - durable;
const projecting = [...spent.values()].reduce((a, b) => a + b, 0);
const s = (ms) => `${(ms / 1000).toFixed(1)} s`;
console.log(
  `RESULT ${events} events fed in ${s(feeding)} (${Math.round(events / (feeding / 1000))} events/s), then made durable in ${s(makingDurable)}`,
);
console.log(
  `RESULT reading, parsing, unsealing: ${s(feeding - projecting)} (${Math.round((100 * (feeding - projecting)) / feeding)} %)`,
);
for (const [name, ms] of [...spent].sort((a, b) => b[1] - a[1])) {
  console.log(`RESULT   ${name}: ${s(ms)} (${Math.round((100 * ms) / feeding)} %)`);
}
console.log(`RESULT peak memory ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`);
readModels.close();
await store.close();
rmSync(scratch, { recursive: true, force: true });
