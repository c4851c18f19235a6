import { chmodSync, existsSync } from 'node:fs';
import { backup, DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { LRUCache } from 'lru-cache';

export type SqliteStatement = StatementSync;

/**
 * How many statements each connection keeps, least recently used out: a guard, since only fixed SQL (the
 * projections', the event store's stream reads: a few dozen) should be kept (see `prepared`).
 */
export const PREPARED_STATEMENTS_PER_CONNECTION = 200;

/**
 * Every SQLite file of the service (the event log, the read models, webhook delivery state) is opened here,
 * through Node's built-in `node:sqlite`: nothing is compiled at install, and one SQLite ships with Node.
 *
 * A connection, with what belongs to it alone, as its own fields: it lives and goes with the connection
 * (a read-model swap brings another), and no module keeps a map of connections.
 */
export class SqliteDatabase extends DatabaseSync {
  /** Statements prepared once for this connection (common/prepared.ts). */
  readonly statements = new LRUCache<string, SqliteStatement>({ max: PREPARED_STATEMENTS_PER_CONNECTION });
  /**
   * While a bulk load runs, the custom-metadata index's writes wait here, the latest per resource, until
   * its batch ends (read-models/custom-metadata-index.ts); undefined otherwise.
   */
  deferredIndexWrites: Map<string, unknown> | undefined;
  /** The recorded time (epoch ms) of the event a projection is applying, which history triggers read (read-models/row-history.ts). */
  projectedEventTime: number | undefined;
  /** Whether a bulk load writes the resource tables' history in its load mode (read-models/row-history.ts). */
  loadingHistory = false;
}
/** What a statement's parameters may be. */
export type SqliteValue = SQLInputValue;

/** How long a writer waits for another process's write lock (the server and the CLI share files). */
const BUSY_TIMEOUT_MS = 10_000;

export interface OpenSqliteOptions {
  /** Read-only: the file must exist. */
  readonly?: boolean;
  /**
   * Opens the file in WAL mode with this durability. FULL fsyncs the WAL at every commit (survives power
   * loss); NORMAL survives a process crash; OFF is for throwaway files only.
   */
  synchronous?: 'FULL' | 'NORMAL' | 'OFF';
}

export function openSqlite(path: string, { readonly = false, synchronous }: OpenSqliteOptions = {}): SqliteDatabase {
  if (readonly && !existsSync(path)) throw new Error(`no SQLite database at ${path}`);
  // SQLite gives the -wal and -shm files the main file's mode: owner-only, whatever older versions left.
  if (!readonly && path !== ':memory:' && existsSync(path)) ownerOnly(path);
  const db = new SqliteDatabase(path, { readOnly: readonly, timeout: BUSY_TIMEOUT_MS });
  if (!readonly && path !== ':memory:') ownerOnly(path);
  if (synchronous) {
    db.exec('PRAGMA journal_mode = WAL');
    db.exec(`PRAGMA synchronous = ${synchronous}`);
  }
  return db;
}

/** Mode 0600; a file owned by another user (a shared volume, say) is left as its owner set it. */
function ownerOnly(path: string): void {
  try {
    chmodSync(path, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
  }
}

/**
 * Runs `fn` in one transaction that takes the write lock first (BEGIN IMMEDIATE), so two processes never
 * deadlock upgrading read locks. Inside another transaction it runs in a savepoint.
 */
export function immediateTransaction<T>(db: SqliteDatabase, fn: () => T): T {
  const [begin, commit, rollback] = db.isTransaction
    ? ['SAVEPOINT nested', 'RELEASE nested', 'ROLLBACK TO nested; RELEASE nested']
    : ['BEGIN IMMEDIATE', 'COMMIT', 'ROLLBACK'];
  db.exec(begin);
  try {
    const result = fn();
    db.exec(commit);
    return result;
  } catch (error) {
    // SQLite has already rolled back by itself after some errors (a full disk, say).
    if (db.isTransaction) db.exec(rollback);
    throw error;
  }
}

/** A consistent copy of a database that others may keep writing to (SQLite's online backup). */
export async function backupSqlite(path: string, copyPath: string): Promise<void> {
  const source = openSqlite(path, { readonly: true });
  try {
    await backup(source, copyPath);
  } finally {
    source.close();
  }
}

/** SQLITE_CONSTRAINT_UNIQUE on `column` (`table.column`, as SQLite names it). */
export function isUniqueViolation(error: unknown, column: string): boolean {
  const { errcode, message } = (error ?? {}) as { errcode?: unknown; message?: unknown };
  return errcode === SQLITE_CONSTRAINT_UNIQUE && typeof message === 'string' && message.includes(column);
}

const SQLITE_CONSTRAINT_UNIQUE = 2067;

/** Whether a write failed because the disk (or the file system) is full: nothing was stored. */
export function isDiskFull(error: unknown): boolean {
  const { errcode, code } = (error ?? {}) as { errcode?: unknown; code?: unknown };
  // SQLITE_FULL (13), or SQLITE_IOERR_WRITE (778) / SQLITE_IOERR_FSYNC-style I/O errors when ENOSPC hits a
  // WAL write; Node's own file writes say ENOSPC.
  return (
    errcode === SQLITE_FULL || (typeof errcode === 'number' && (errcode & 0xff) === SQLITE_FULL) || code === 'ENOSPC'
  );
}

const SQLITE_FULL = 13;
