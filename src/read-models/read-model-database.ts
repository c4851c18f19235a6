import { existsSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { HistoryNotReady } from '../common/domain-errors.js';
import { immediateTransaction, openSqlite, type SqliteDatabase } from '../common/sqlite.js';
import { prepared } from '../common/prepared.js';
import type { Projection } from './projection.js';
import { lowestCheckpoint } from './projector.js';
import {
  bulkLoadCacheKib,
  dumpReadModels,
  isComparedColumn,
  isComparedTable,
  isServable,
  ProjectionDatabase,
  READ_MODELS_CONSUMER,
  readMeta,
  storedProjectionVersion,
  writeMeta,
  type ProjectionRules,
} from './projection-database.js';
import { registerCustomMetadataMatches } from './custom-metadata-index.js';
import { registerProjectedEventTime } from './row-history.js';

export { dumpReadModels, isComparedColumn, isComparedTable, ProjectionDatabase, READ_MODELS_CONSUMER };

/** The read models a database holds, in the order each event is applied to them. */
export interface ReadModelSchema {
  projections: readonly Projection[];
  /** Event types that erase data: after a batch with one, every file is scrubbed (ProjectionDatabase.scrub). */
  scrubAfter?: readonly string[];
  /** The event type that erases a workspace: each projection's file loses the workspace's rows. */
  erasesWorkspace?: string;
}

/** A projection whose live file holds an older version: the one being rebuilt beside it. */
export interface OutdatedProjection {
  name: string;
  from: number;
  to: number;
}

/**
 * The read models: a main file (which projection file is live, the log they were built from, the other
 * consumers' checkpoints) and one file per projection (projection-database.ts), each with its own version
 * and checkpoint. The main connection ATTACHes every projection's file, so that a read names any table
 * without knowing whose it is; each projection writes through a connection of its own. Everything here can
 * be thrown away and rebuilt from the event log at any time.
 */
export class ReadModelDatabase {
  private connection: SqliteDatabase;
  private byName = new Map<string, ProjectionDatabase>();
  readonly projections: readonly Projection[];
  private readonly rules: ProjectionRules;

  constructor(
    public path: string,
    schema: ReadModelSchema,
  ) {
    this.projections = schema.projections;
    this.rules = rulesOf(schema);
    this.connection = openMain(path);
    if (path === ':memory:') {
      // Scratch read models (as-of reads, specs): every projection's tables on the one connection.
      for (const projection of this.projections) {
        this.byName.set(projection.name, new ProjectionDatabase(path, projection, this.rules, this.connection));
      }
      return;
    }
    for (const projection of this.projections) {
      const part = this.openPart(projection);
      this.byName.set(projection.name, part);
      this.setMeta(partKey(projection.name), basename(part.path));
    }
    this.attachParts(this.connection);
  }

  /** The current connection, which sees every projection's tables: read it at each use, since a swap replaces it. */
  get db(): SqliteDatabase {
    return this.connection;
  }

  /** Each projection's file, in the schema's order. */
  get parts(): readonly ProjectionDatabase[] {
    return this.projections.map((projection) => this.part(projection.name));
  }

  part(name: string): ProjectionDatabase {
    const part = this.byName.get(name);
    if (!part) throw new Error(`no projection named ${name}`);
    return part;
  }

  /**
   * Throws HistoryNotReady unless the projection's live file keeps its history (row-history.ts): during an
   * upgrade, the older file that serves has none, and lists as of a moment wait for the new one.
   */
  requireHistory(projection: string): void {
    if (!this.part(projection).keepsHistory) throw new HistoryNotReady();
  }

  /** The projections whose live file holds an older version than this build's. */
  outdated(): OutdatedProjection[] {
    return this.parts
      .filter((part) => part.isOutdated)
      .map((part) => ({ name: part.name, from: part.version, to: part.projection.version }));
  }

  /**
   * A consumer's checkpoint. The projector's (READ_MODELS_CONSUMER) is where every projection has got to:
   * the lowest of theirs. The others' (the saga's) are kept in the main file.
   */
  checkpoint(name: string): number {
    if (name === READ_MODELS_CONSUMER) return lowestCheckpoint(this.parts);
    return (
      (
        prepared(this.db, 'SELECT position FROM checkpoints WHERE name = ?').get(name) as
          { position: number } | undefined
      )?.position ?? 0
    );
  }

  setCheckpoint(name: string, position: number): void {
    if (name === READ_MODELS_CONSUMER) {
      for (const part of this.parts) part.transaction(() => part.setCheckpoint(position));
      return;
    }
    prepared(
      this.db,
      `INSERT INTO checkpoints (name, position) VALUES (?, ?)
       ON CONFLICT (name) DO UPDATE SET position = excluded.position`,
    ).run(name, position);
  }

  /** For a set no one reads yet (a replay's): every projection's file loaded the fast way (see ProjectionDatabase). */
  bulkLoad(): void {
    for (const part of this.parts) part.bulkLoad(bulkLoadCacheKib(this.parts.length));
  }

  writeDerivedRowsNow(): void {
    for (const part of this.parts) part.writeDerivedRowsNow();
  }

  makeDurable(): void {
    for (const part of this.parts) part.makeDurable();
    this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  }

  /**
   * Binds these read models to the log they are built from (its `LogCreated` id). Built from another log,
   * every projection's tables are emptied and every checkpoint dropped (that log's positions mean nothing
   * in this one), to be rebuilt from position 0. Returns the log they were built from when they were
   * dropped, or null.
   */
  bindToLog(logId: string): string | null {
    const stored = this.meta('log_id');
    const other = stored !== undefined && stored !== logId ? stored : null;
    if (other) for (const part of this.parts) part.reset();
    immediateTransaction(this.db, () => {
      if (other) this.db.exec('DELETE FROM checkpoints');
      this.setMeta('log_id', logId);
    });
    return other;
  }

  logId(): string | undefined {
    return this.meta('log_id');
  }

  /** After an erasure, every projection's file (ProjectionDatabase.scrub), and the main one's WAL. */
  scrub(): void {
    for (const part of this.parts) part.scrub();
    this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  }

  /** Takes over `other`'s files and connections (a swap), closing its own; every holder of this object follows. */
  adopt(other: ReadModelDatabase): void {
    const previous = { connection: this.connection, parts: this.parts };
    this.connection = other.connection;
    this.byName = other.byName;
    this.path = other.path;
    for (const part of previous.parts) part.close();
    previous.connection.close();
  }

  /**
   * Makes `rebuilt` (a projection's tables rebuilt beside the live ones, caught up by the caller) the live
   * file of its projection. Reads go on a new connection that attaches it: the swap is one synchronous step,
   * so no request sees half of it. The old file is removed, and so is any other file of the projection (one
   * that a build could not read and left for an older server): no longer fed, it would keep what the log
   * erases later. Returns the old file's path.
   */
  replacePart(rebuilt: ProjectionDatabase): string {
    if (this.path === ':memory:') throw new Error('scratch read models in memory have no files to replace');
    const old = this.part(rebuilt.name);
    const previous = this.connection;
    const connection = openMain(this.path);
    this.byName.set(rebuilt.name, rebuilt);
    try {
      this.attachParts(connection);
    } catch (error) {
      this.byName.set(rebuilt.name, old);
      connection.close();
      throw error;
    }
    this.connection = connection;
    this.setMeta(partKey(rebuilt.name), basename(rebuilt.path));
    previous.close();
    old.close();
    removeSqliteFiles(old.path);
    removeOtherFilesOf(this.path, rebuilt.name, rebuilt.path);
    return old.path;
  }

  /** Where a rebuild of `projection`'s current version goes: a new file beside the live ones (see `replacePart`). */
  newPartPath(projection: Projection): string {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    return partPath(this.path, `${projection.name}--v${projection.version}-${stamp}`);
  }

  /** Runs `fn` in one IMMEDIATE transaction on the main file. */
  transaction<T>(fn: () => T): T {
    return immediateTransaction(this.db, fn);
  }

  /** Every projection's rows, table by table (their names are unique across the files). */
  dump(): Record<string, unknown[]> {
    return Object.assign({}, ...this.parts.map((part) => part.dump())) as Record<string, unknown[]>;
  }

  close(): void {
    for (const part of this.parts) part.close();
    this.db.close();
  }

  /**
   * The live file of `projection`, opened: the one the main file names if this build can serve it, else a
   * new one (a file this build cannot read is left as it is: an older server may still serve it).
   */
  private openPart(projection: Projection): ProjectionDatabase {
    const named = this.meta(partKey(projection.name));
    const path = named ? join(dirname(this.path), named) : partPath(this.path, projection.name);
    const version = existsSync(path) ? storedProjectionVersion(path, projection.name) : null;
    const usable = version === null ? !existsSync(path) : isServable(projection, version);
    return new ProjectionDatabase(usable ? path : this.newPartPath(projection), projection, this.rules);
  }

  private attachParts(connection: SqliteDatabase): void {
    for (const part of this.parts) {
      connection.prepare('ATTACH DATABASE ? AS ?').run(part.path, `projection_${part.name}`);
    }
  }

  private meta(key: string): string | undefined {
    return readMeta(this.db, key);
  }

  private setMeta(key: string, value: string): void {
    writeMeta(this.db, key, value);
  }
}

/** What every projection's file is told of the log (see ProjectionRules). */
export function rulesOf(schema: ReadModelSchema): ProjectionRules {
  return { scrubAfter: new Set(schema.scrubAfter ?? []), erasesWorkspace: schema.erasesWorkspace };
}

const PART_KEY = 'projection_file:';
const partKey = (name: string) => `${PART_KEY}${name}`;

/** `read-models.db` has `read-models--devices.db` beside it: the main file's name, `--`, the projection's. */
function partPath(mainPath: string, suffix: string): string {
  return join(dirname(mainPath), `${basename(mainPath).replace(/\.db$/, '')}--${suffix}.db`);
}

/**
 * The main file. One written by a build that kept every projection in it is emptied of their tables (and
 * of the projector's checkpoint): each projection now has a file of its own, rebuilt from the log once.
 */
function openMain(path: string): SqliteDatabase {
  const db = openSqlite(path, { synchronous: 'NORMAL' });
  registerCustomMetadataMatches(db);
  // Every projection writes through its own connection; this one sees their tables too (tests apply through it).
  registerProjectedEventTime(db);
  db.exec('PRAGMA secure_delete = ON');
  immediateTransaction(db, () => {
    db.exec(`CREATE TABLE IF NOT EXISTS read_model_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL);`);
    const tables = db
      .prepare(
        `SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
         AND name NOT IN ('read_model_meta', 'checkpoints')`,
      )
      .all() as { name: string }[];
    for (const { name } of tables) db.exec(`DROP TABLE IF EXISTS main."${name}"`);
    db.prepare("DELETE FROM read_model_meta WHERE key = 'schema_version'").run();
    db.prepare('DELETE FROM checkpoints WHERE name = ?').run(READ_MODELS_CONSUMER);
  });
  return db;
}

function removeSqliteFiles(path: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
}

/** Every file of `projection` beside the main file `mainPath` but `keep` (and its -wal and -shm). */
function removeOtherFilesOf(mainPath: string, projection: string, keep: string): void {
  const stem = basename(partPath(mainPath, projection)).replace(/\.db$/, '');
  for (const name of readdirSync(dirname(mainPath))) {
    const ofProjection = name.startsWith(`${stem}.db`) || name.startsWith(`${stem}--`);
    if (ofProjection && !name.startsWith(basename(keep))) rmSync(join(dirname(mainPath), name), { force: true });
  }
}

/** Removes the read models whose main file is `mainPath`: it and every projection's file beside it. */
export function removeReadModelFiles(mainPath: string): void {
  const prefix = `${basename(mainPath).replace(/\.db$/, '')}--`;
  const directory = dirname(mainPath);
  if (existsSync(directory)) {
    for (const name of readdirSync(directory)) {
      if (name.startsWith(prefix)) rmSync(join(directory, name), { force: true });
    }
  }
  removeSqliteFiles(mainPath);
}

/**
 * The read models at `mainPath`, read-only: the main file with every projection's live file attached (the
 * CLI reads them while a server may be writing). Null when there are none yet.
 */
export function openReadModelsReadOnly(mainPath: string): SqliteDatabase | null {
  if (!existsSync(mainPath)) return null;
  const db = openSqlite(mainPath, { readonly: true });
  registerCustomMetadataMatches(db);
  for (const [name, path] of liveProjectionFiles(db)) {
    if (existsSync(path)) db.prepare('ATTACH DATABASE ? AS ?').run(path, `projection_${name}`);
  }
  return db;
}

/** Each projection's live file, as a main file's connection names them. */
export function liveProjectionFiles(main: SqliteDatabase): Map<string, string> {
  const rows = main.prepare(`SELECT key, value FROM read_model_meta WHERE key LIKE '${PART_KEY}%'`).all() as {
    key: string;
    value: string;
  }[];
  const directory = dirname(main.location() ?? '');
  return new Map(rows.map(({ key, value }) => [key.slice(PART_KEY.length), join(directory, value)]));
}
