import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import Database from 'better-sqlite3';
import { COMPLETION_SAGA } from '../completion/completion.saga.js';
import type { EventStore } from '../event-store/event-store.js';
import { PROJECTIONS, READ_MODEL_SCHEMA } from '../read-models/projections.js';
import { ReadModelProjector, READ_MODELS_CONSUMER } from '../read-models/projector.js';
import { dumpReadModels, ReadModelDatabase } from '../read-models/read-model-database.js';

/**
 * Replay: read models rebuilt from the log alone, into a fresh database beside the live one, while the
 * server keeps serving; compared with the live ones (verify); made live (swap). Which file is live is
 * named by DATA_DIR/read-models.current, so a swap changes a pointer and never renames an open database.
 */
export interface ReplayProgress {
  events: number;
  position: number;
  target: number;
  eventsPerSecond: number;
  secondsLeft: number | null;
}

const BATCH = 2000;
const POINTER = 'read-models.current';
const DEFAULT_FILE = 'read-models.db';

/** Applies every event after the database's checkpoint up to `target` (inclusive), reporting as it goes. */
export async function replayInto(
  store: EventStore,
  readModels: ReadModelDatabase,
  target: number,
  onProgress?: (progress: ReplayProgress) => void,
): Promise<number> {
  const projector = new ReadModelProjector(readModels, PROJECTIONS);
  const start = readModels.checkpoint(READ_MODELS_CONSUMER);
  const startedAt = performance.now();
  let position = start;
  let events = 0;
  while (position < target) {
    const batch = (await store.readAll({ afterPosition: position, maxCount: BATCH })).filter((e) => e.position <= target);
    if (batch.length === 0) break;
    projector.handle(batch);
    events += batch.length;
    position = batch[batch.length - 1].position;
    if (onProgress) {
      const seconds = (performance.now() - startedAt) / 1000;
      const rate = events / Math.max(seconds, 1e-3);
      // Positions are dense in SQLite and ordered elsewhere: the share of positions done estimates the rest.
      const share = (position - start) / Math.max(target - start, 1);
      onProgress({ events, position, target, eventsPerSecond: rate, secondsLeft: share > 0 ? (seconds / share) * (1 - share) : null });
    }
  }
  return events;
}

export function liveReadModelsPath(dataDir: string): string {
  const pointer = join(dataDir, POINTER);
  return join(dataDir, existsSync(pointer) ? readFileSync(pointer, 'utf8').trim() : DEFAULT_FILE);
}

export function newReplayPath(dataDir: string): string {
  return join(dataDir, `read-models.${new Date().toISOString().replace(/[:.]/g, '-')}.db`);
}

/** Atomic: a reader sees the old name or the new one, never half a file. */
export function setLiveReadModels(dataDir: string, path: string): void {
  const temporary = join(dataDir, `${POINTER}.tmp`);
  writeFileSync(temporary, `${basename(path)}\n`);
  renameSync(temporary, join(dataDir, POINTER));
}

export function removeDatabaseFiles(path: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
}

/** A consistent picture of live read models: the checkpoint and every row, read in one transaction. */
export function snapshotLiveReadModels(path: string): { checkpoint: number; dump: Record<string, unknown[]> } {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return db.transaction(() => {
      const row = db.prepare('SELECT position FROM checkpoints WHERE name = ?').get(READ_MODELS_CONSUMER) as { position: number } | undefined;
      return { checkpoint: row?.position ?? 0, dump: dumpReadModels(db) };
    })();
  } finally {
    db.close();
  }
}

export interface ReadModelDifference {
  table: string;
  onlyLive: unknown[];
  onlyRebuilt: unknown[];
}

/** Rows present on one side only, table by table (as multisets of whole rows). */
export function compareReadModels(live: Record<string, unknown[]>, rebuilt: Record<string, unknown[]>): ReadModelDifference[] {
  const differences: ReadModelDifference[] = [];
  for (const table of [...new Set([...Object.keys(live), ...Object.keys(rebuilt)])].sort()) {
    const remaining = new Map<string, number>();
    for (const row of rebuilt[table] ?? []) remaining.set(JSON.stringify(row), (remaining.get(JSON.stringify(row)) ?? 0) + 1);
    const onlyLive: unknown[] = [];
    for (const row of live[table] ?? []) {
      const key = JSON.stringify(row);
      const count = remaining.get(key) ?? 0;
      if (count > 0) remaining.set(key, count - 1);
      else onlyLive.push(row);
    }
    const onlyRebuilt = [...remaining].flatMap(([key, count]) => Array.from({ length: count }, () => JSON.parse(key) as unknown));
    if (onlyLive.length > 0 || onlyRebuilt.length > 0) differences.push({ table, onlyLive, onlyRebuilt });
  }
  return differences;
}

/**
 * Makes `rebuilt` live in place of `live`: caught up to the head of the log, the saga's checkpoint carried
 * over (the saga's effects are in the log, not in the read models), the pointer switched, the old files
 * removed. The caller stops the consumers first, so nothing writes to `live` meanwhile.
 */
export async function promoteReadModels(store: EventStore, dataDir: string, live: ReadModelDatabase, rebuilt: ReadModelDatabase): Promise<void> {
  try {
    await replayInto(store, rebuilt, await store.headPosition());
    rebuilt.setCheckpoint(COMPLETION_SAGA, live.checkpoint(COMPLETION_SAGA));
  } catch (error) {
    rebuilt.close();
    throw error;
  }
  const oldPath = live.path;
  live.adopt(rebuilt);
  setLiveReadModels(dataDir, live.path);
  if (oldPath !== live.path) removeDatabaseFiles(oldPath);
}

export function openReadModelsAt(path: string): ReadModelDatabase {
  return new ReadModelDatabase(path, READ_MODEL_SCHEMA);
}
