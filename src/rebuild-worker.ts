import { existsSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { buildProjections } from './audit/index.js';
import { READ_MODEL_SCHEMA } from './read-model-schema.js';
import { ProjectionDatabase, rulesOf } from './read-models/read-model-database.js';
import { openEventStore, type RebuildRequest } from './runtime.js';

/** A server's rebuild of projections, on a thread of its own (see rebuildProjectionsInWorker in runtime.ts). */
const { config, parts } = workerData as RebuildRequest;
/**
 * For tests only (test/e2e/start-up.test.ts, test/e2e/projection-upgrade.test.ts): CMS_TEST_HOLD_REBUILD
 * holds the rebuild once it has reported its first batch, as a slow one would be. `after_first_batch` holds
 * it until the server stops it (which terminates this thread), so that a stop during a rebuild is tested
 * without racing the rebuild's end; `until_file:PATH` holds it until the test creates PATH.
 */
const hold = process.env.CMS_TEST_HOLD_REBUILD;
const pause = (ms?: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
let held = false;
function holdOnce(): void {
  if (held || !hold) return;
  held = true;
  if (hold === 'after_first_batch') pause();
  const file = hold.startsWith('until_file:') ? hold.slice('until_file:'.length) : null;
  while (file && !existsSync(file)) pause(20);
}

const store = openEventStore(config);
try {
  const rules = rulesOf(READ_MODEL_SCHEMA);
  const opened = parts.map(({ name, path }) => {
    const projection = READ_MODEL_SCHEMA.projections.find((p) => p.name === name);
    if (!projection) throw new Error(`no projection named ${name}`);
    return new ProjectionDatabase(path, projection, rules);
  });
  const events = await buildProjections(store, opened, ({ position }) => {
    parentPort?.postMessage({ position });
    if (position > 0) holdOnce();
  });
  parentPort?.postMessage({ events });
} finally {
  await store.close();
}
