import { immediateTransaction, openSqlite, type SqliteDatabase } from '../common/sqlite.js';
import { prepared } from '../common/prepared.js';
import type { RecordedEvent } from '../event-store/event-store.js';
import {
  deferCustomMetadataIndex,
  deriveCustomMetadataCountsNow,
  resumeCustomMetadataCounts,
  METADATA_KEY_ID,
  writeDeferredCustomMetadataIndex,
} from './custom-metadata-index.js';
import { eraseWorkspaceRows } from './erase-workspace-rows.js';
import {
  finishLoadingHistory,
  HISTORY_ROW_ID,
  initRowHistory,
  keepsRowHistory,
  registerProjectedEventTime,
  rowHistoryIndexes,
  startLoadingHistory,
} from './row-history.js';
import { applyEvent, type Projection, type ReadIndex, type RecordedEventOf } from './projection.js';
import type { DomainEvent } from '../event-store/decider.js';
import {
  initSearchIndex,
  rebuildSearchIndex,
  scrubSearchIndex,
  suspendSearchIndex,
  writeSearchRows,
  type SearchableTable,
} from './search-index.js';

/**
 * The page cache of a bulk load, in KiB. 64 MiB keeps the replay's peak memory under 300 MiB at 1,000,000
 * events; SQLite's default (2 MiB) makes the random inserts of the primary keys miss it most of the time.
 * Shared out among the projections being loaded together (see `bulkLoad`).
 */
export const BULK_LOAD_CACHE_KIB = 65_536;

/**
 * Each file's page cache when several load together. SQLite keeps one per connection, and it fills only as
 * far as its file grows: four of the six (devices, public events, accounts, webviews) are large, the others a
 * few pages, so a quarter each keeps the total where one file's was (BENCHMARKS.md: 363 MiB peak with half each).
 */
export const bulkLoadCacheKib = (files: number) => (files > 1 ? BULK_LOAD_CACHE_KIB / 4 : BULK_LOAD_CACHE_KIB);

/**
 * How far behind the projector a file's checkpoint may stay while no event concerns it
 * (ProjectionDatabase.project): at most the events a restart after a crash reads again for it.
 */
export const IDLE_CHECKPOINT_LAG = 10_000;

/** The projector's checkpoint in each projection's file: the position its tables reflect. */
export const READ_MODELS_CONSUMER = 'read_models';

/** What every projection's file is told of the log, besides the events its projection handles. */
export interface ProjectionRules {
  /**
   * Event types that erase data: after a batch with one, the file is scrubbed (see `scrub`), so the erased
   * rows are gone from its pages and its WAL, not only from its tables.
   */
  scrubAfter: ReadonlySet<string>;
  /**
   * The event type that erases a workspace (its `data.workspace_id`): every table of the file that has a
   * `workspace_id` column loses the workspace's rows, after the projection has applied the event.
   */
  erasesWorkspace?: string;
}

const versionKey = (projection: string) => `version:${projection}`;

/** The version of `projection` whose tables a file holds, without opening it for writing; null if none. */
export function storedProjectionVersion(path: string, projection: string): number | null {
  let db: SqliteDatabase;
  try {
    db = openSqlite(path, { readonly: true });
  } catch {
    return null;
  }
  try {
    const row = db.prepare('SELECT value FROM read_model_meta WHERE key = ?').get(versionKey(projection)) as
      { value: string } | undefined;
    return row ? Number(row.value) : null;
  } catch {
    return null; // no meta table: not a projection's file
  } finally {
    db.close();
  }
}

/**
 * One projection's read model: a SQLite file of its own, with its tables, its version and its checkpoint,
 * so that a new version of one projection is rebuilt (beside the live file) without touching the others.
 * A batch of events and the checkpoint after it commit in one transaction, so a crash leaves the tables
 * exactly at the checkpoint.
 */
export class ProjectionDatabase {
  private readonly connection: SqliteDatabase;
  /** The page cache's size before `bulkLoad`, restored by `makeDurable`. */
  private cacheSizeBeforeBulkLoad: number | null = null;
  /** The version of the projection these tables were built by: older than the projection's during an upgrade. */
  private builtVersion: number;

  /**
   * Opens (or creates) the file. It must hold nothing, or tables of a version this build reads (see
   * `Projection.readableFrom`): the read models never rebuild a file in place, since another process (an
   * older server in a rolling restart) may still be serving it.
   */
  /** Whether this object opened its connection (and closes it), or was given one to share (in memory). */
  private readonly ownsConnection: boolean;

  constructor(
    readonly path: string,
    readonly projection: Projection,
    private readonly rules: ProjectionRules,
    /** For scratch read models in memory, where every projection shares one connection. */
    shared?: SqliteDatabase,
  ) {
    this.ownsConnection = shared === undefined;
    // Read models are rebuildable from the log, so NORMAL (safe against corruption, may lose the last
    // commits on power loss) is enough: a lost commit is re-projected from the checkpoint before it.
    this.connection = shared ?? openSqlite(path, { synchronous: 'NORMAL' });
    // A deleted row's bytes are overwritten, in its page and in free pages, rather than left for a reader of
    // the file to find: erasure must hold on disk (see `scrub`).
    this.db.exec('PRAGMA secure_delete = ON');
    registerProjectedEventTime(this.db);
    this.db.exec('CREATE TABLE IF NOT EXISTS read_model_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    const stored = this.meta(versionKey(projection.name));
    this.builtVersion = stored === undefined ? projection.version : Number(stored);
    if (!isServable(projection, this.builtVersion)) {
      if (this.ownsConnection) this.connection.close();
      throw new Error(`${path} holds version ${this.builtVersion} of ${projection.name}, which this build cannot read`);
    }
    immediateTransaction(this.db, () => {
      // An older version's file serves as it is while the new one is rebuilt: building the new version's
      // indexes in it would hold up the start for what the rebuild brings anyway, and a history begun now
      // would lie about the past before it (so lists as of a moment wait for the rebuild).
      this.createTables({ readIndexes: !this.isOutdated, history: !this.isOutdated });
      this.setMeta(versionKey(projection.name), String(this.builtVersion));
    });
  }

  /** The version of the projection these tables were built by: older than the projection's during an upgrade. */
  get version(): number {
    return this.builtVersion;
  }

  get db(): SqliteDatabase {
    return this.connection;
  }

  get name(): string {
    return this.projection.name;
  }

  /** Whether these tables are an older version than the projection's, to be rebuilt beside them. */
  get isOutdated(): boolean {
    return this.version < this.projection.version;
  }

  checkpoint(): number {
    return (
      (
        prepared(this.db, 'SELECT position FROM checkpoints WHERE name = ?').get(READ_MODELS_CONSUMER) as
          { position: number } | undefined
      )?.position ?? 0
    );
  }

  setCheckpoint(position: number): void {
    prepared(
      this.db,
      `INSERT INTO checkpoints (name, position) VALUES (?, ?)
       ON CONFLICT (name) DO UPDATE SET position = excluded.position`,
    ).run(READ_MODELS_CONSUMER, position);
  }

  /**
   * Applies the events after the checkpoint, and the checkpoint after them, in one transaction read and
   * written under the write lock: a batch delivered twice (or by two processes sharing the file) applies once.
   * Returns whether the batch erased anything, so that the caller scrubs.
   *
   * A batch with nothing for this projection (most batches, for most of the six files) commits nothing: a
   * commit per file and batch made the projector four times as costly as one file (bench/projector-batch.mjs).
   * Such a file's checkpoint then moves on once it lags IDLE_CHECKPOINT_LAG positions behind, and when the
   * projector stops or a replay ends (`settle`). Its tables are the same at any position in between, so the
   * lag costs only a re-read of those events, skipped by type, after a crash. A file at checkpoint 0 always
   * commits, so that it never looks empty once it has been fed.
   */
  project(events: readonly RecordedEvent[]): boolean {
    const last = events.at(-1)?.position ?? 0;
    const seen = this.checkpoint();
    const concerned = events.some((event) => event.position > seen && this.concerns(event));
    if (seen > 0 && !concerned && last - seen < IDLE_CHECKPOINT_LAG) return false;
    let erases = false;
    this.transaction(() => {
      const start = this.checkpoint();
      let checkpoint = start;
      for (const event of events) {
        if (event.position <= checkpoint) continue;
        applyEvent(this.db, [this.projection], event);
        if (event.type === this.rules.erasesWorkspace) {
          eraseWorkspaceRows(this.db, (event.data as { workspace_id: string }).workspace_id);
        }
        erases ||= this.rules.scrubAfter.has(event.type);
        checkpoint = event.position;
      }
      writeDeferredCustomMetadataIndex(this.db);
      if (checkpoint > start) this.setCheckpoint(checkpoint);
    });
    return erases;
  }

  /** Moves the checkpoint on to `position`, which the projector has passed with nothing for this file. */
  settle(position: number): void {
    if (position > this.checkpoint()) this.transaction(() => this.setCheckpoint(Math.max(this.checkpoint(), position)));
  }

  /** Whether the event may change this file: its projection handles it (and does not ignore it), or it erases a workspace. */
  private concerns(event: RecordedEvent): boolean {
    if (event.type === this.rules.erasesWorkspace) return true;
    const { handles, ignores } = this.projection;
    return handles.includes(event.type) && !ignores?.(event as RecordedEventOf<DomainEvent>);
  }

  /**
   * For a file no one reads yet (a rebuild's), until `makeDurable`: commits skip fsync, the page cache is
   * larger, the indexes that only readers use are dropped, to be built once at the end by sorting rather
   * than row by row, and each resource's custom-metadata index entries are written once per batch (each a
   * measured gain, see BENCHMARKS.md). The file is new and becomes live only after `makeDurable`, so a
   * crash meanwhile costs the rebuild, never a live read model.
   */
  bulkLoad(cacheKib = BULK_LOAD_CACHE_KIB): void {
    this.db.exec('PRAGMA synchronous = OFF');
    this.cacheSizeBeforeBulkLoad = (this.db.prepare('PRAGMA cache_size').get() as { cache_size: number }).cache_size;
    this.db.exec(`PRAGMA cache_size = -${Math.round(cacheKib)}`);
    for (const index of this.readIndexes()) this.db.exec(`DROP INDEX IF EXISTS "${index.name}"`);
    suspendSearchIndex(this.db, this.searchables());
    if (this.projection.history && this.keepsHistory) startLoadingHistory(this.db, this.projection.history);
    deferCustomMetadataIndex(this.db);
  }

  /**
   * During `bulkLoad`, the rows a load derives only at its end as they would be now (the search rows, the
   * key inventory's counts, the history's entry intervals): for a comparison with live read models mid-load (`replay --verify`).
   * `makeDurable` writes them again anyway.
   */
  writeDerivedRowsNow(): void {
    const history = this.projection.history;
    this.transaction(() => {
      this.searchables().forEach((source) => writeSearchRows(this.db, source));
      deriveCustomMetadataCountsNow(this.db);
      if (history && this.keepsHistory) finishLoadingHistory(this.db, history, { resume: false });
    });
  }

  /** Ends `bulkLoad`: the read indexes are built, and everything reaches the disk before the file is made live. */
  makeDurable(): void {
    this.transaction(() => writeDeferredCustomMetadataIndex(this.db, { stopDeferring: true }));
    // The default cache again first: building an index sorts in memory up to the cache's size.
    if (this.cacheSizeBeforeBulkLoad !== null) this.db.exec(`PRAGMA cache_size = ${this.cacheSizeBeforeBulkLoad}`);
    const history = this.projection.history;
    if (history && this.keepsHistory) this.transaction(() => finishLoadingHistory(this.db, history));
    this.transaction(() => resumeCustomMetadataCounts(this.db));
    this.createReadIndexes();
    this.transaction(() => rebuildSearchIndex(this.db, this.searchables()));
    this.db.exec('PRAGMA synchronous = NORMAL');
    this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  }

  /** Built from another log: every table dropped and created again empty, at the projection's version. */
  reset(): void {
    immediateTransaction(this.db, () => {
      this.dropAllTables();
      this.createTables();
      this.builtVersion = this.projection.version;
      this.setMeta(versionKey(this.projection.name), String(this.builtVersion));
    });
  }

  /**
   * After an erasure: the full-text index merged into one segment (its older segments still hold the
   * erased text's tokens), and the WAL, which holds the pages as they were before the deletes, checkpointed
   * into the file and truncated.
   */
  scrub(): void {
    scrubSearchIndex(this.db, this.searchables());
    this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  }

  /** Runs `fn` in one IMMEDIATE transaction (takes the write lock first: no deadlock between processes). */
  transaction<T>(fn: () => T): T {
    return immediateTransaction(this.db, fn);
  }

  dump(): Record<string, unknown[]> {
    return dumpReadModels(this.db);
  }

  close(): void {
    if (this.ownsConnection) this.db.close();
  }

  private createTables({ readIndexes = true, history = true } = {}): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL)');
    this.projection.init(this.db);
    for (const source of this.searchables()) initSearchIndex(this.db, source);
    if (history && this.projection.history) initRowHistory(this.db, this.projection.history);
    if (readIndexes) this.createReadIndexes();
  }

  /** The indexes only readers use: the projection's own, and its history's when the file keeps one. */
  private readIndexes(): ReadIndex[] {
    const { readIndexes = [], history } = this.projection;
    return [...readIndexes, ...(history && this.keepsHistory ? rowHistoryIndexes(history) : [])];
  }

  /** Whether this file keeps its projection's history (row-history.ts): built at its own version. */
  get keepsHistory(): boolean {
    const history = this.projection.history;
    return history !== undefined && keepsRowHistory(this.db, history);
  }

  private searchables(): SearchableTable[] {
    return this.projection.search ? [this.projection.search] : [];
  }

  private createReadIndexes(): void {
    for (const { name, on, unique } of this.readIndexes()) {
      this.db.exec(`CREATE ${unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS "${name}" ON ${on}`);
    }
  }

  private meta(key: string): string | undefined {
    return readMeta(this.db, key);
  }

  private setMeta(key: string, value: string): void {
    writeMeta(this.db, key, value);
  }

  private dropAllTables(): void {
    const tables = this.db
      .prepare(
        `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
         AND name != 'read_model_meta'`,
      )
      .all() as { name: string }[];
    // Drops its indexes too; a full-text index's own tables go with it, hence IF EXISTS.
    for (const { name } of tables) this.db.exec(`DROP TABLE IF EXISTS "${name}"`);
  }
}

/** A value of the file's `read_model_meta` (what it holds, for whom): every read-model file has one. */
export function readMeta(db: SqliteDatabase, key: string): string | undefined {
  const row = db.prepare('SELECT value FROM read_model_meta WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value;
}

export function writeMeta(db: SqliteDatabase, key: string, value: string): void {
  db.prepare(
    `INSERT INTO read_model_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
  ).run(key, value);
}

/** Whether this build reads and feeds tables of `version` of `projection`: its own, or an older one it declares. */
export function isServable(projection: Projection, version: number): boolean {
  return version === projection.version || (version >= readableFrom(projection) && version < projection.version);
}

function readableFrom(projection: Projection): number {
  return projection.readableFrom ?? projection.version;
}

/** Every read-model row, table by table, in a stable order: what "two read models are equal" means. */
export function dumpReadModels(db: SqliteDatabase): Record<string, unknown[]> {
  const tables = db
    .prepare(
      `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
       AND name NOT IN ('checkpoints', 'read_model_meta') ORDER BY name`,
    )
    .all() as { name: string }[];
  const dump: Record<string, unknown[]> = {};
  for (const { name } of tables) {
    if (!isComparedTable(name)) continue;
    const all = (db.prepare('SELECT name FROM pragma_table_info(?) ORDER BY cid').all(name) as { name: string }[]).map(
      (c) => c.name,
    );
    const columns = all.filter(isComparedColumn);
    const list = columns.map((c) => `"${c}"`).join(', ');
    const order = columns.length < all.length ? list : columns.length > 1 ? '1, 2' : '1';
    dump[name] = db.prepare(`SELECT ${list} FROM "${name}" ORDER BY ${order}`).all();
  }
  return dump;
}

/**
 * Whether two read models must hold the same rows of this table to be equal. Not a change counter
 * (`webhook_set_version`, which read models built before it started at 0), nor the full-text index's own
 * b-trees, whose pages follow the order rows were written in: its content (`<type>_search_text`) is compared,
 * and is what the index is built from.
 */
export function isComparedTable(name: string): boolean {
  return name !== 'webhook_set_version' && !/_search(_data|_idx|_config|_docsize)?$/.test(name);
}

/**
 * Whether two read models must agree on this column: a history's rows by their content, not by the row ids
 * a live file's deletes left gaps in; the key inventory's keys by their counts, not by the ids that order
 * its pages (a key's first appearance, which a file that derived its counts when opened numbered otherwise).
 */
export function isComparedColumn(name: string): boolean {
  return name !== HISTORY_ROW_ID && name !== METADATA_KEY_ID;
}
