import { parentPort, workerData } from 'node:worker_threads';
import { buildReadModels } from './audit/index.js';
import { READ_MODEL_SCHEMA } from './read-model-schema.js';
import { openEventStore, type RebuildRequest } from './runtime.js';

/** A server's rebuild at start, on a thread of its own (see rebuildReadModelsInWorker in runtime.ts). */
const { config, path } = workerData as RebuildRequest;
/**
 * For tests only (test/e2e/start-up.test.ts): CMS_TEST_HOLD_REBUILD=after_first_batch holds the rebuild once
 * it has reported its first batch, as a slow one would be, until the server stops it (which terminates this
 * thread). A stop during the rebuild is then tested without racing the rebuild's end.
 */
const holdAfterFirstBatch = process.env.CMS_TEST_HOLD_REBUILD === 'after_first_batch';
const store = openEventStore(config);
try {
  const events = await buildReadModels(store, path, READ_MODEL_SCHEMA, ({ position }) => {
    parentPort?.postMessage({ position });
    if (holdAfterFirstBatch && position > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  });
  parentPort?.postMessage({ events });
} finally {
  await store.close();
}
