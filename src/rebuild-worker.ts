import { parentPort, workerData } from 'node:worker_threads';
import { buildReadModels } from './audit/index.js';
import { READ_MODEL_SCHEMA } from './read-model-schema.js';
import { openEventStore, type RebuildRequest } from './runtime.js';

/** A server's rebuild at start, on a thread of its own (see rebuildReadModelsInWorker in runtime.ts). */
const { config, path } = workerData as RebuildRequest;
const store = openEventStore(config);
try {
  const events = await buildReadModels(store, path, READ_MODEL_SCHEMA, ({ position }) =>
    parentPort?.postMessage({ position }),
  );
  parentPort?.postMessage({ events });
} finally {
  await store.close();
}
