import type { EventStore } from '../event-store/event-store.js';
import { ReadModelProjector, READ_MODELS_CONSUMER } from '../read-models/projector.js';
import { ReadModelDatabase, type ReadModelSchema } from '../read-models/read-model-database.js';
import { removeDatabaseFiles, setLiveReadModels } from './read-model-files.js';

/**
 * Replay: read models rebuilt from the log alone, into a fresh database beside the live one, while the
 * server keeps serving (this file); compared with the live ones (verify.ts); made live (swap, below).
 */
/**
 * What the app tells replay of its read models: the projections they hold, and the consumers whose
 * checkpoints live beside them but whose effects are in the log (the saga), carried over by a swap.
 */
export interface ReplaySetup {
  schema: ReadModelSchema;
  carriedCheckpoints: readonly string[];
}

export interface ReplayProgress {
  events: number;
  position: number;
  target: number;
  eventsPerSecond: number;
  secondsLeft: number | null;
}

const BATCH = 2000;

/**
 * Applies every event after the database's checkpoint up to `target` (inclusive), reporting as it goes. It
 * yields to the event loop after each batch, so a server catching a swapped-in database up keeps answering.
 */
export async function replayInto(
  store: EventStore,
  readModels: ReadModelDatabase,
  target: number,
  onProgress?: (progress: ReplayProgress) => void,
): Promise<number> {
  const projector = new ReadModelProjector(readModels);
  const start = readModels.checkpoint(READ_MODELS_CONSUMER);
  const startedAt = performance.now();
  let position = start;
  let events = 0;
  while (position < target) {
    const batch = (await store.readAll({ afterPosition: position, maxCount: BATCH })).filter(
      (e) => e.position <= target,
    );
    if (batch.length === 0) break;
    projector.handle(batch);
    events += batch.length;
    position = batch[batch.length - 1].position;
    if (onProgress) {
      const seconds = (performance.now() - startedAt) / 1000;
      const rate = events / Math.max(seconds, 1e-3);
      // Positions are dense in SQLite and ordered elsewhere: the share of positions done estimates the rest.
      const share = (position - start) / Math.max(target - start, 1);
      onProgress({
        events,
        position,
        target,
        eventsPerSecond: rate,
        secondsLeft: share > 0 ? (seconds / share) * (1 - share) : null,
      });
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  return events;
}

/**
 * Builds read models from the log into a new file at `path`, loaded the fast way (`bulkLoad`) and made
 * durable, then closed: ready for promoteReadModels. On failure the partial file is removed.
 */
export async function buildReadModels(
  store: EventStore,
  path: string,
  schema: ReadModelSchema,
  onProgress?: (progress: ReplayProgress) => void,
): Promise<number> {
  const built = new ReadModelDatabase(path, schema);
  try {
    built.bulkLoad();
    const events = await replayInto(store, built, await store.headPosition(), onProgress);
    built.makeDurable();
    built.close();
    return events;
  } catch (error) {
    built.close();
    removeDatabaseFiles(path);
    throw error;
  }
}

/**
 * Makes `rebuilt` live in place of `live`: caught up to the head of the log, the checkpoints of
 * `carriedCheckpoints` carried over (consumers such as the saga, whose effects are in the log, not in the
 * read models), the pointer switched, the old files removed. The caller stops the consumers first, so
 * nothing writes to `live` meanwhile.
 */
export async function promoteReadModels(
  store: EventStore,
  dataDir: string,
  live: ReadModelDatabase,
  rebuilt: ReadModelDatabase,
  carriedCheckpoints: readonly string[],
): Promise<void> {
  try {
    await replayInto(store, rebuilt, await store.headPosition());
    for (const consumer of carriedCheckpoints) rebuilt.setCheckpoint(consumer, live.checkpoint(consumer));
    const logId = live.logId();
    if (logId !== undefined) rebuilt.bindToLog(logId);
  } catch (error) {
    rebuilt.close();
    throw error;
  }
  const oldPath = live.path;
  live.adopt(rebuilt);
  setLiveReadModels(dataDir, live.path);
  if (oldPath !== live.path) removeDatabaseFiles(oldPath);
}
