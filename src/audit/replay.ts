import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { backupSqlite, openSqlite } from '../common/sqlite.js';
import { COMPLETION_SAGA } from '../completion/completion.saga.js';
import type { EventStore } from '../event-store/event-store.js';
import { PROJECTIONS, READ_MODEL_SCHEMA } from '../read-models/projections.js';
import { ReadModelProjector, READ_MODELS_CONSUMER } from '../read-models/projector.js';
import { ReadModelDatabase } from '../read-models/read-model-database.js';

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

/**
 * A consistent copy of the live read models, taken with SQLite's online backup while the server may keep
 * writing; returns the live checkpoint it holds.
 */
export async function copyLiveReadModels(livePath: string, copyPath: string): Promise<number> {
  await backupSqlite(livePath, copyPath);
  const copy = openSqlite(copyPath, { readonly: true });
  try {
    const row = copy.prepare('SELECT position FROM checkpoints WHERE name = ?').get(READ_MODELS_CONSUMER) as { position: number } | undefined;
    return row?.position ?? 0;
  } finally {
    copy.close();
  }
}

export interface ReadModelDifference {
  table: string;
  onlyLive: number;
  onlyRebuilt: number;
  /** A few of the differing rows of each side. */
  examples: { side: 'live' | 'rebuilt'; row: unknown }[];
}

/**
 * Rows present on one side only, table by table, compared inside SQLite (every read-model table has a
 * primary key, so rows are sets): memory stays flat however large the read models are.
 */
export function compareReadModels(livePath: string, rebuilt: ReadModelDatabase): ReadModelDifference[] {
  const db = rebuilt.db;
  db.prepare('ATTACH DATABASE ? AS live').run(livePath);
  try {
    const tablesOf = (schema: string) =>
      new Set(
        (
          db
            .prepare(
              `SELECT name FROM ${schema}.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
               AND name NOT IN ('checkpoints', 'read_model_meta')`,
            )
            .all() as { name: string }[]
        ).map((t) => t.name),
      );
    const inLive = tablesOf('live');
    const inRebuilt = tablesOf('main');
    /** Rows of `schema`'s table missing from `other`'s (all of them when `other` lacks the table). */
    const missingFrom = (table: string, schema: 'live' | 'main', other: 'live' | 'main', otherHas: boolean) =>
      otherHas ? `SELECT * FROM ${schema}."${table}" EXCEPT SELECT * FROM ${other}."${table}"` : `SELECT * FROM ${schema}."${table}"`;
    const differences: ReadModelDifference[] = [];
    for (const table of [...new Set([...inLive, ...inRebuilt])].sort()) {
      const queries = {
        live: inLive.has(table) ? missingFrom(table, 'live', 'main', inRebuilt.has(table)) : null,
        rebuilt: inRebuilt.has(table) ? missingFrom(table, 'main', 'live', inLive.has(table)) : null,
      };
      const count = (sql: string | null) => (sql ? (db.prepare(`SELECT COUNT(*) AS n FROM (${sql})`).get() as { n: number }).n : 0);
      const onlyLive = count(queries.live);
      const onlyRebuilt = count(queries.rebuilt);
      if (onlyLive === 0 && onlyRebuilt === 0) continue;
      const examples = (['live', 'rebuilt'] as const).flatMap((side) =>
        queries[side] ? db.prepare(`${queries[side]} LIMIT 5`).all().map((row) => ({ side, row })) : [],
      );
      differences.push({ table, onlyLive, onlyRebuilt, examples });
    }
    return differences;
  } finally {
    db.prepare('DETACH DATABASE live').run();
  }
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
