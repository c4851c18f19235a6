import { immediateTransaction, openSqlite, type SqliteDatabase } from '../common/sqlite.js';
import { prepared } from '../common/prepared.js';
import { deferCustomMetadataIndex, writeDeferredCustomMetadataIndex } from './custom-metadata-index.js';
import type { Projection, ReadIndex } from './projection.js';
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
 */
const BULK_LOAD_CACHE_KIB = 65_536;

/** The projector's checkpoint: the position these tables reflect. */
export const READ_MODELS_CONSUMER = 'read_models';

/** The read models a database holds, in the order each event is applied to them. */
export interface ReadModelSchema {
  projections: readonly Projection[];
  /**
   * Event types that erase data: after a batch with one, the file is scrubbed (see `scrub`), so the erased
   * rows are gone from its pages and its WAL, not only from its tables.
   */
  scrubAfter?: readonly string[];
}

/**
 * The read-model database: a SQLite file that can be thrown away and rebuilt from the event log at any
 * time. Every projection's tables live here, with the consumers' checkpoints, so that a read-model change
 * and the checkpoint it reaches commit in one transaction.
 */
export class ReadModelDatabase {
  private connection: SqliteDatabase;
  /** The page cache's size before `bulkLoad`, restored by `makeDurable`. */
  private cacheSizeBeforeBulkLoad: number | null = null;
  readonly projections: readonly Projection[];
  readonly scrubAfter: ReadonlySet<string>;

  constructor(
    public path: string,
    schema: ReadModelSchema,
  ) {
    this.projections = schema.projections;
    this.scrubAfter = new Set(schema.scrubAfter ?? []);
    // Read models are rebuildable from the log, so NORMAL (safe against corruption, may lose the last
    // commits on power loss) is enough: a lost commit is re-projected from the checkpoint before it.
    this.connection = openSqlite(path, { synchronous: 'NORMAL' });
    // A deleted row's bytes are overwritten, in its page and in free pages, rather than left for a reader of
    // the file to find: erasure must hold on disk (see `scrub`).
    this.connection.exec('PRAGMA secure_delete = ON');
    this.db.exec('CREATE TABLE IF NOT EXISTS read_model_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    this.migrate(schema);
  }

  /** The current connection: read it at each use, since a swap replaces it. */
  get db(): SqliteDatabase {
    return this.connection;
  }

  checkpoint(name: string): number {
    return (
      (
        prepared(this.db, 'SELECT position FROM checkpoints WHERE name = ?').get(name) as
          { position: number } | undefined
      )?.position ?? 0
    );
  }

  setCheckpoint(name: string, position: number): void {
    prepared(
      this.db,
      `INSERT INTO checkpoints (name, position) VALUES (?, ?)
       ON CONFLICT (name) DO UPDATE SET position = excluded.position`,
    ).run(name, position);
  }

  /**
   * For a database no one reads yet (a replay's), until `makeDurable`: commits skip fsync, the page cache
   * is larger, the indexes that only readers use are dropped, to be built once at the end by sorting
   * rather than row by row, and each resource's custom-metadata index entries are written once per batch
   * (each a measured gain, see BENCHMARKS.md). The file is new and becomes live only
   * after `makeDurable`, so a crash meanwhile costs the rebuild, never a live read model.
   */
  bulkLoad(): void {
    this.db.exec('PRAGMA synchronous = OFF');
    this.cacheSizeBeforeBulkLoad = (this.db.prepare('PRAGMA cache_size').get() as { cache_size: number }).cache_size;
    this.db.exec(`PRAGMA cache_size = -${BULK_LOAD_CACHE_KIB}`);
    for (const index of this.readIndexes()) this.db.exec(`DROP INDEX IF EXISTS "${index.name}"`);
    suspendSearchIndex(this.db, this.searchables());
    deferCustomMetadataIndex(this.db);
  }

  /** The end of a batch of events, inside its transaction: what a bulk load deferred is written. */
  endOfBatch(): void {
    writeDeferredCustomMetadataIndex(this.db);
  }

  /**
   * During `bulkLoad`, the search rows as they would be now (a load writes them only at its end): for a
   * comparison with live read models mid-load (`replay --verify`). `makeDurable` writes them again anyway.
   */
  writeSearchRowsNow(): void {
    this.transaction(() => this.searchables().forEach((source) => writeSearchRows(this.db, source)));
  }

  /** Ends `bulkLoad`: the read indexes are built, and everything reaches the disk before the file is made live. */
  makeDurable(): void {
    this.transaction(() => writeDeferredCustomMetadataIndex(this.db, { stopDeferring: true }));
    // The default cache again first: building an index sorts in memory up to the cache's size.
    if (this.cacheSizeBeforeBulkLoad !== null) this.db.exec(`PRAGMA cache_size = ${this.cacheSizeBeforeBulkLoad}`);
    this.createReadIndexes();
    this.transaction(() => rebuildSearchIndex(this.db, this.searchables()));
    this.db.exec('PRAGMA synchronous = NORMAL');
    this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  }

  /**
   * Binds these read models to the log they are built from (its `LogCreated` id). Built from another log,
   * they are dropped with every checkpoint (that log's positions mean nothing in this one) and rebuilt from
   * position 0. Returns the log they were built from when they were dropped, or null.
   */
  bindToLog(logId: string): string | null {
    const stored = this.meta('log_id');
    const other = stored !== undefined && stored !== logId ? stored : null;
    immediateTransaction(this.db, () => {
      if (other) {
        this.dropAllTables();
        this.createTables();
      }
      this.setMeta('log_id', logId);
    });
    return other;
  }

  /** The log these read models are built from (see `bindToLog`), once known. */
  logId(): string | undefined {
    return this.meta('log_id');
  }

  /**
   * After an erasure: the full-text index merged into one segment (its older segments still hold the
   * erased text's tokens), and the WAL, which holds the pages as they were before the deletes, checkpointed
   * into the file and truncated.
   */
  scrub(): void {
    if (this.searchables().length > 0) scrubSearchIndex(this.db);
    this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  }

  /** Takes over `other`'s connection and file (a swap), closing its own; every holder of this object follows. */
  adopt(other: ReadModelDatabase): void {
    const previous = this.connection;
    this.connection = other.connection;
    this.path = other.path;
    previous.close();
  }

  /** Runs `fn` in one IMMEDIATE transaction (takes the write lock first: no deadlock between processes). */
  transaction<T>(fn: () => T): T {
    return immediateTransaction(this.db, fn);
  }

  dump(): Record<string, unknown[]> {
    return dumpReadModels(this.db);
  }

  close(): void {
    this.db.close();
  }

  /** Every projection's name and version: a database that stored other ones is rebuilt. */
  private migrate(schema: ReadModelSchema): void {
    const version = schema.projections.map((p) => `${p.name}@${p.version}`).join(',');
    const stored = this.meta('schema_version');
    immediateTransaction(this.db, () => {
      // Other consumers' checkpoints (the saga's) stay: their effects are in the log, not in these tables,
      // and starting them over would redo them. Only the projector's goes, with the tables it built.
      const kept = stored !== undefined && stored !== version ? this.dropAllTablesButCheckpoints() : [];
      this.createTables();
      for (const { name, position } of kept) this.setCheckpoint(name, position);
      this.setMeta('schema_version', version);
    });
  }

  private createTables(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL)');
    for (const projection of this.projections) projection.init(this.db);
    for (const source of this.searchables()) initSearchIndex(this.db, source);
    this.createReadIndexes();
  }

  /** Every projection's searchable table. */
  private searchables(): SearchableTable[] {
    return this.projections.flatMap((projection) => (projection.search ? [projection.search] : []));
  }

  private createReadIndexes(): void {
    for (const { name, on, unique } of this.readIndexes()) {
      this.db.exec(`CREATE ${unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS "${name}" ON ${on}`);
    }
  }

  /** Every projection's, once each (several share the custom-metadata lookup). */
  private readIndexes(): ReadIndex[] {
    const byName = new Map<string, ReadIndex>();
    for (const projection of this.projections) {
      for (const index of projection.readIndexes ?? []) byName.set(index.name, index);
    }
    return [...byName.values()];
  }

  private meta(key: string): string | undefined {
    const row = this.db.prepare('SELECT value FROM read_model_meta WHERE key = ?').get(key) as
      { value: string } | undefined;
    return row?.value;
  }

  private setMeta(key: string, value: string): void {
    this.db
      .prepare(
        `INSERT INTO read_model_meta (key, value) VALUES (?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      )
      .run(key, value);
  }

  /**
   * A read-model schema change: start over, and the projector rebuilds everything from position 0. Returns
   * the checkpoints of the consumers other than the projector, to be written back.
   */
  private dropAllTablesButCheckpoints(): { name: string; position: number }[] {
    const hasCheckpoints = this.db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'checkpoints'")
      .get();
    const kept = hasCheckpoints
      ? (this.db
          .prepare('SELECT name, position FROM checkpoints WHERE name != ?')
          .all(READ_MODELS_CONSUMER) as unknown as { name: string; position: number }[])
      : [];
    this.dropAllTables();
    return kept;
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
    const columns = db.prepare(`SELECT count(*) AS n FROM pragma_table_info(?)`).get(name) as { n: number };
    dump[name] = db.prepare(`SELECT * FROM "${name}" ORDER BY ${columns.n > 1 ? '1, 2' : '1'}`).all();
  }
  return dump;
}

/**
 * Whether two read models must hold the same rows of this table to be equal. Not a change counter
 * (`webhook_set_version`, which read models built before it started at 0), nor the full-text index's own
 * b-trees, whose pages follow the order rows were written in: its content (`search_text`) is compared, and
 * is what the index is built from.
 */
export function isComparedTable(name: string): boolean {
  return name !== 'webhook_set_version' && !/^resource_search(_data|_idx|_config|_docsize)?$/.test(name);
}
