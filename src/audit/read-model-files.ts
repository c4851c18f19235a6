import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { backupSqlite, openSqlite } from '../common/sqlite.js';
import { READ_MODELS_CONSUMER } from '../read-models/projector.js';

/**
 * The read-model files of a data directory. Which one is live is named by DATA_DIR/read-models.current,
 * so a swap changes a pointer and never renames an open database.
 */
const POINTER = 'read-models.current';
const DEFAULT_FILE = 'read-models.db';

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
    const row = copy.prepare('SELECT position FROM checkpoints WHERE name = ?').get(READ_MODELS_CONSUMER) as
      { position: number } | undefined;
    return row?.position ?? 0;
  } finally {
    copy.close();
  }
}
