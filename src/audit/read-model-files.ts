import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { backupSqlite, openSqlite } from '../common/sqlite.js';
import { READ_MODELS_CONSUMER } from '../read-models/projector.js';
import { storedProjectionVersion } from '../read-models/projection-database.js';
import {
  liveProjectionFiles,
  openReadModelsReadOnly,
  type ReadModelDatabase,
} from '../read-models/read-model-database.js';

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

/** A consistent copy of one projection's live file, and the checkpoint and version it holds. */
export interface ProjectionCopy {
  name: string;
  path: string;
  checkpoint: number;
  version: number | null;
}

/**
 * A consistent copy of each projection's live file, taken with SQLite's online backup while the server may
 * keep writing, beside the file of `rebuilt` it is to be compared with. A projection the live read models
 * have no file for yet is left out.
 */
export async function copyLiveProjections(mainPath: string, rebuilt: ReadModelDatabase): Promise<ProjectionCopy[]> {
  const live = openReadModelsReadOnly(mainPath);
  const files = live ? liveProjectionFiles(live) : new Map<string, string>();
  live?.close();
  const copies: ProjectionCopy[] = [];
  for (const part of rebuilt.parts) {
    const livePath = files.get(part.name);
    if (!livePath || !existsSync(livePath)) continue;
    const path = `${part.path}.live-copy`;
    await backupSqlite(livePath, path);
    const copy = openSqlite(path, { readonly: true });
    try {
      const row = copy.prepare('SELECT position FROM checkpoints WHERE name = ?').get(READ_MODELS_CONSUMER) as
        { position: number } | undefined;
      copies.push({
        name: part.name,
        path,
        checkpoint: row?.position ?? 0,
        version: storedProjectionVersion(path, part.name),
      });
    } finally {
      copy.close();
    }
  }
  return copies;
}
