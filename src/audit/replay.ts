import type { EventStore } from '../event-store/event-store.js';
import { lowestCheckpoint, ReadModelProjector, type ProjectedFiles } from '../read-models/projector.js';
import {
  ReadModelDatabase,
  removeReadModelFiles,
  type ProjectionDatabase,
  type ReadModelSchema,
} from '../read-models/read-model-database.js';
import { bulkLoadCacheKib } from '../read-models/projection-database.js';
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
 * Applies every event after the files' lowest checkpoint up to `target` (inclusive), reporting as it goes.
 * It yields to the event loop after each batch, so a server catching a swapped-in file up keeps answering.
 */
export async function replayInto(
  store: EventStore,
  readModels: ProjectedFiles,
  target: number,
  onProgress?: (progress: ReplayProgress) => void,
): Promise<number> {
  const projector = new ReadModelProjector(readModels);
  const start = lowestCheckpoint(readModels.parts);
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
    onProgress?.(progressOf({ start, position, target, startedAt, events }));
    await new Promise((resolve) => setImmediate(resolve));
  }
  projector.stopped();
  return events;
}

/** Where a replay from `start` is, at `position` of `target`, `events` in since `startedAt`. */
export function progressOf({
  start,
  position,
  target,
  startedAt,
  events = position - start,
}: {
  start: number;
  position: number;
  target: number;
  startedAt: number;
  events?: number;
}): ReplayProgress {
  const seconds = (performance.now() - startedAt) / 1000;
  // Positions are dense in SQLite and ordered elsewhere: the share of positions done estimates the rest.
  const share = (position - start) / Math.max(target - start, 1);
  return {
    events,
    position,
    target,
    eventsPerSecond: events / Math.max(seconds, 1e-3),
    secondsLeft: share > 0 ? (seconds / share) * (1 - share) : null,
  };
}

/**
 * Builds projections from the log into new, empty files, loaded the fast way (`bulkLoad`) and made durable,
 * then closed: ready to be caught up and swapped in (ReadModelDatabase.replacePart). On failure the partial
 * files are removed.
 */
export async function buildProjections(
  store: EventStore,
  parts: readonly ProjectionDatabase[],
  onProgress?: (progress: ReplayProgress) => void,
): Promise<number> {
  try {
    for (const part of parts) part.bulkLoad(bulkLoadCacheKib(parts.length));
    const events = await replayInto(store, { parts }, await store.headPosition(), onProgress);
    for (const part of parts) part.makeDurable();
    return events;
  } catch (error) {
    for (const part of parts) removeDatabaseFiles(part.path);
    throw error;
  } finally {
    for (const part of parts) part.close();
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
  if (oldPath !== live.path) removeReadModelFiles(oldPath);
}
