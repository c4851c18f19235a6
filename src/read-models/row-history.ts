import { prepared } from '../common/prepared.js';
import type { SqliteDatabase } from '../common/sqlite.js';
import type { MetadataResourceType } from '../custom-metadata/metadata-set.js';

/**
 * The past of a resource table, for lists as of a moment (`as_of`): every version of every row, each with the
 * interval of recorded time it was valid in (`valid_from <= t < valid_to`, in epoch milliseconds, the
 * times of the events that made and ended it), kept by triggers on the table itself, so that no projection's
 * `apply` has to remember it and every write path (a multi-row UPDATE too) is covered:
 *
 * - `<table>_versions`: the row's columns but its metadata, a version per change of any of them;
 * - `<type>_metadata_versions`: the row's `custom_metadata`, a version per change;
 * - `<type>_metadata_entry_versions`: one interval per (resource, key, value), opened when the pair appears
 *   and closed when it changes or goes: what a selector as of a moment is read from, in page order, as the
 *   live lists read `<type>_metadata_entries` (custom-metadata-index.ts). A change of one key of fifty
 *   writes two entry rows, not fifty;
 * - `<table>_creations`: each row's creation time, with the highest creation position of the workspace's
 *   rows created by then (`reached_position`): where a page as of a moment starts reading, so that the
 *   rows created after it are never read at all (`positionReachedSql`).
 *
 * Values are JSON-encoded by SQLite (`json_quote`, booleans as `true`/`false`), and the queries encode theirs
 * the same way (`encodedValueSql`). A projection declares the table (`Projection.history`, as data), and its
 * file holds the history only when built at its own version (an older version's file, serving during an
 * upgrade, has none). The triggers read the time of the event being applied (`projected_event_time()`,
 * registered on every projection's connection by `registerProjectedEventTime`). A bulk load writes it in a
 * cheaper way of its own (`startLoadingHistory`, `finishLoadingHistory`) to the same rows, and an erasure
 * takes a resource's past with it (`forgetRowHistory`).
 */
export interface HistoryTable {
  table: string;
  idColumn: string;
  resourceType: MetadataResourceType;
}

/**
 * Each history row's id: the order of versions that began in the same millisecond. Not compared between
 * two read models (`dumpReadModels`): a live file's erasures leave gaps that a rebuild does not.
 */
export const HISTORY_ROW_ID = 'version_id';

/** The end of a version still valid: the latest time a JavaScript Date can hold. */
export const OPEN_END = 8_640_000_000_000_000;

export const rowVersionsTable = (table: string) => `${table}_versions`;
export const metadataVersionsTable = (type: MetadataResourceType) => `${type}_metadata_versions`;
export const entryVersionsTable = (type: MetadataResourceType) => `${type}_metadata_entry_versions`;
export const creationsTable = (table: string) => `${table}_creations`;

/** A metadata value as the history keeps it, from a `json_each` row's `type` and `value`. */
const encodedJsonEachValue = (row: string) =>
  `CASE ${row}.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE json_quote(${row}.value) END`;

/** SQL encoding a query's value as the history keeps it: the parameter is the value itself. */
export const encodedValueSql = (value: string | boolean): { sql: string; param: string | null } =>
  typeof value === 'boolean' ? { sql: `'${String(value)}'`, param: null } : { sql: 'json_quote(?)', param: value };

/** The time of the event being applied, which the history triggers stamp versions with. */
export function registerProjectedEventTime(db: SqliteDatabase): void {
  db.function('projected_event_time', () => {
    if (db.projectedEventTime === undefined) throw new Error('a history table was written outside an event');
    return db.projectedEventTime;
  });
}

/**
 * SQL for the highest creation position among the workspace's rows created by `at` (NULL: none was): no
 * row that existed at `at` has a higher one, whatever order the clock gave their times.
 */
export function positionReachedSql(creations: string, workspace: string, at: string): string {
  return `SELECT reached_position FROM ${creations} WHERE workspace_id = ${workspace} AND created_time <= ${at}
    ORDER BY created_time DESC, reached_position DESC LIMIT 1`;
}

/** The history's tables and names, for one resource table. */
function historyOf(db: SqliteDatabase, source: HistoryTable) {
  const { table, idColumn, resourceType } = source;
  const declared = (
    prepared(db, 'SELECT name, type FROM pragma_table_info(?) ORDER BY cid').all(table) as {
      name: string;
      type: string;
    }[]
  ).filter((c) => c.name !== 'custom_metadata');
  const columns = declared.map((c) => c.name);
  return {
    ...source,
    columns,
    /**
     * The columns as the versions table declares them: with their types (an untyped `created_position`
     * would compare with an integer bound by converting the column, and no index could serve the bound),
     * without their constraints (a tombstone version holds only its id).
     */
    columnsDdl: declared.map((c) => `${c.name} ${c.type}`).join(', '),
    rows: rowVersionsTable(table),
    metadata: metadataVersionsTable(resourceType),
    entries: entryVersionsTable(resourceType),
    creations: creationsTable(table),
    /** Erased resources while a load runs: their history goes at its end (`finishLoadingHistory`). */
    forgotten: `${table}_history_forgotten`,
    id: idColumn,
  };
}
type History = ReturnType<typeof historyOf>;

const NOW = 'projected_event_time()';
const OPEN = `valid_to = ${OPEN_END}`;
/** A version row that marks its resource's deletion while a load runs: it ends the version before it. */
const TOMBSTONE = -1;

/**
 * Whether the connection's file keeps `source`'s history: one built at its projection's own version does;
 * an older version's, serving during an upgrade, and a get's scratch read models do not.
 */
export function keepsRowHistory(db: SqliteDatabase, source: HistoryTable): boolean {
  return (
    prepared(db, 'SELECT 1 FROM pragma_table_list WHERE name = ?').get(rowVersionsTable(source.table)) !== undefined
  );
}

/** The tables and triggers of `source`'s history: called once its table exists (ProjectionDatabase). */
export function initRowHistory(db: SqliteDatabase, source: HistoryTable): void {
  const h = historyOf(db, source);
  db.exec(`
    CREATE TABLE IF NOT EXISTS ${h.rows} (
      version_id INTEGER PRIMARY KEY, valid_from INTEGER NOT NULL, valid_to INTEGER NOT NULL, ${h.columnsDdl}
    );
    CREATE TABLE IF NOT EXISTS ${h.metadata} (
      version_id INTEGER PRIMARY KEY, resource_id TEXT NOT NULL, workspace_id TEXT NOT NULL,
      created_position INTEGER NOT NULL, valid_from INTEGER NOT NULL, valid_to INTEGER NOT NULL, custom_metadata TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS ${h.entries} (
      version_id INTEGER PRIMARY KEY, workspace_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
      created_position INTEGER NOT NULL, resource_id TEXT NOT NULL, valid_from INTEGER NOT NULL, valid_to INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS ${h.creations} (
      workspace_id TEXT NOT NULL, created_position INTEGER NOT NULL, created_time INTEGER NOT NULL,
      reached_position INTEGER NOT NULL, PRIMARY KEY (workspace_id, created_position)
    );
    CREATE INDEX IF NOT EXISTS ${h.creations}_by_time ON ${h.creations} (workspace_id, created_time, reached_position);
    ${byResourceIndexes(h)}
    ${liveTriggers(h)}
  `);
}

/**
 * Each resource's versions by time (what `forgetRowHistory` deletes by), and its open versions alone: what
 * the live triggers close, one seek each however long the resource's past (the index by time would have them
 * read every version the resource ever had, on every change).
 */
const byResourceIndexes = (h: History) => `
  CREATE INDEX IF NOT EXISTS ${h.rows}_by_time ON ${h.rows} (${h.id}, valid_from);
  CREATE INDEX IF NOT EXISTS ${h.metadata}_by_time ON ${h.metadata} (resource_id, valid_from);
  CREATE INDEX IF NOT EXISTS ${h.entries}_by_resource ON ${h.entries} (resource_id, key, valid_from);
  ${openVersionIndexes(h)
    .map(([name, on]) => `CREATE INDEX IF NOT EXISTS ${name} ON ${on} WHERE ${OPEN};`)
    .join('\n  ')}`;
const openVersionIndexes = (h: History): [name: string, on: string][] => [
  [`${h.rows}_open`, `${h.rows} (${h.id})`],
  [`${h.metadata}_open`, `${h.metadata} (resource_id)`],
  [`${h.entries}_open`, `${h.entries} (resource_id)`],
];

/** SQL of the row's new version (NEW's columns but its metadata) and of its metadata's, valid from now. */
const newRowVersion = (h: History) => `INSERT INTO ${h.rows} (valid_from, valid_to, ${h.columns.join(', ')})
    VALUES (${NOW}, ${OPEN_END}, ${h.columns.map((c) => `NEW.${c}`).join(', ')});`;
const newMetadataVersion = (h: History) => `INSERT INTO ${h.metadata}
    (resource_id, workspace_id, created_position, valid_from, valid_to, custom_metadata)
    VALUES (NEW.${h.id}, NEW.workspace_id, NEW.created_position, ${NOW}, ${OPEN_END}, NEW.custom_metadata);`;
/** The row's creation time, and the highest creation position reached by then (clock going back included). */
const newCreation = (h: History) => `
  INSERT OR REPLACE INTO ${h.creations} (workspace_id, created_position, created_time, reached_position)
    VALUES (NEW.workspace_id, NEW.created_position, ${NOW},
      max(NEW.created_position, coalesce((${positionReachedSql(h.creations, 'NEW.workspace_id', NOW)}), 0)));
  UPDATE ${h.creations} SET reached_position = NEW.created_position
    WHERE workspace_id = NEW.workspace_id AND created_time > ${NOW} AND reached_position < NEW.created_position;`;
const changedColumns = (h: History) => h.columns.map((c) => `NEW.${c} IS NOT OLD.${c}`).join(' OR ');

/**
 * SQL closing a resource's open versions in `versions` (`valid_to` = now): found by `openVersionIndexes`, one
 * seek (test/unit/list-query-plans.test.ts checks the plan). `id` is the resource's id in SQL.
 */
export const closeOpenVersionsSql = (versions: string, id: string, column = 'resource_id') =>
  `UPDATE ${versions} SET valid_to = ${NOW} WHERE ${column} = ${id} AND ${OPEN};`;

/**
 * The triggers of a live file: each change closes the version it ends (`valid_to` = now) and opens the
 * next; each entry interval opens when its pair appears in the row's metadata and closes when the pair
 * changes or goes, or the row does.
 */
function liveTriggers(h: History): string {
  const close = closeOpenVersionsSql;
  // The pairs NEW has and `than` has not (all of NEW's pairs when `than` is null).
  const newEntries = (than: string | null) => `INSERT INTO ${h.entries}
      (workspace_id, key, value, created_position, resource_id, valid_from, valid_to)
      SELECT NEW.workspace_id, j.key, ${encodedJsonEachValue('j')}, NEW.created_position, NEW.${h.id}, ${NOW}, ${OPEN_END}
      FROM json_each(NEW.custom_metadata) j
      ${than === null ? '' : `WHERE NOT EXISTS (SELECT 1 FROM json_each(${than}) o WHERE o.key = j.key AND ${encodedJsonEachValue('o')} = ${encodedJsonEachValue('j')})`};`;
  const { table, id } = h;
  return `
    CREATE TRIGGER IF NOT EXISTS ${table}_history_insert AFTER INSERT ON ${table} BEGIN
      ${close(h.rows, `NEW.${id}`, id)} ${close(h.metadata, `NEW.${id}`)} ${close(h.entries, `NEW.${id}`)}
      ${newRowVersion(h)} ${newMetadataVersion(h)} ${newEntries(null)} ${newCreation(h)}
    END;
    CREATE TRIGGER IF NOT EXISTS ${table}_history_update AFTER UPDATE OF ${h.columns.join(', ')} ON ${table}
      WHEN ${changedColumns(h)} BEGIN ${close(h.rows, `OLD.${id}`, id)} ${newRowVersion(h)} END;
    CREATE TRIGGER IF NOT EXISTS ${table}_history_metadata AFTER UPDATE OF custom_metadata ON ${table}
      WHEN NEW.custom_metadata IS NOT OLD.custom_metadata BEGIN
      ${close(h.metadata, `OLD.${id}`)} ${newMetadataVersion(h)}
      UPDATE ${h.entries} SET valid_to = ${NOW} WHERE resource_id = OLD.${id} AND ${OPEN}
        AND NOT EXISTS (SELECT 1 FROM json_each(NEW.custom_metadata) j
          WHERE j.key = ${h.entries}.key AND ${encodedJsonEachValue('j')} = ${h.entries}.value);
      ${newEntries('OLD.custom_metadata')}
    END;
    CREATE TRIGGER IF NOT EXISTS ${table}_history_delete AFTER DELETE ON ${table} BEGIN
      ${close(h.rows, `OLD.${id}`, id)} ${close(h.metadata, `OLD.${id}`)} ${close(h.entries, `OLD.${id}`)}
    END;`;
}

/**
 * The triggers of a file being loaded (a replay into a fresh file): versions are only appended, in the
 * order they come, with no index to keep and nothing closed; a deletion appends a tombstone. At the end,
 * `finishLoadingHistory` closes each version where the next one (or the tombstone) begins and derives the
 * entry intervals: what the live triggers would have written, at a fraction of the cost (BENCHMARKS.md).
 */
function loadTriggers(h: History): string {
  const { table, id } = h;
  const tombstone = `INSERT INTO ${h.rows} (valid_from, valid_to, ${id}) VALUES (${NOW}, ${TOMBSTONE}, OLD.${id});
    INSERT INTO ${h.metadata} (resource_id, workspace_id, created_position, valid_from, valid_to, custom_metadata)
      VALUES (OLD.${id}, OLD.workspace_id, OLD.created_position, ${NOW}, ${TOMBSTONE}, '{}');`;
  return `
    CREATE TRIGGER IF NOT EXISTS ${table}_history_load_insert AFTER INSERT ON ${table} BEGIN
      ${newRowVersion(h)} ${newMetadataVersion(h)} ${newCreation(h)}
    END;
    CREATE TRIGGER IF NOT EXISTS ${table}_history_load_update AFTER UPDATE OF ${h.columns.join(', ')} ON ${table}
      WHEN ${changedColumns(h)} BEGIN ${newRowVersion(h)} END;
    CREATE TRIGGER IF NOT EXISTS ${table}_history_load_metadata AFTER UPDATE OF custom_metadata ON ${table}
      WHEN NEW.custom_metadata IS NOT OLD.custom_metadata BEGIN ${newMetadataVersion(h)} END;
    CREATE TRIGGER IF NOT EXISTS ${table}_history_load_delete AFTER DELETE ON ${table} BEGIN ${tombstone} END;`;
}

const dropTriggers = (db: SqliteDatabase, h: History, kind: 'history' | 'history_load') => {
  for (const suffix of ['insert', 'update', 'metadata', 'delete'])
    db.exec(`DROP TRIGGER IF EXISTS ${h.table}_${kind}_${suffix}`);
};

/** For a bulk load: the load triggers instead of the live ones, and no index by resource to keep. */
export function startLoadingHistory(db: SqliteDatabase, source: HistoryTable): void {
  const h = historyOf(db, source);
  dropTriggers(db, h, 'history');
  const open = openVersionIndexes(h).map(([name]) => name);
  for (const index of [`${h.rows}_by_time`, `${h.metadata}_by_time`, `${h.entries}_by_resource`, ...open])
    db.exec(`DROP INDEX IF EXISTS ${index}`);
  db.exec(`CREATE TABLE IF NOT EXISTS ${h.forgotten} (id TEXT PRIMARY KEY, rows_up_to INTEGER NOT NULL,
    metadata_up_to INTEGER NOT NULL); ${loadTriggers(h)}`);
  db.loadingHistory = true;
}

/**
 * Ends what `startLoadingHistory` began: the erased resources' history deleted, each version still open
 * closed where the next version of its resource (or its tombstone) begins, the tombstones dropped, the
 * entry intervals derived from the metadata versions, and (unless `resume` is false: the history as it
 * would be now, mid-load, for a comparison) the live triggers and indexes back.
 */
export function finishLoadingHistory(db: SqliteDatabase, source: HistoryTable, { resume = true } = {}): void {
  const h = historyOf(db, source);
  const closeVersions = (versions: string, id: string) => `
    UPDATE ${versions} SET valid_to = next.valid_from
      FROM (SELECT version_id, lead(valid_from) OVER (PARTITION BY ${id} ORDER BY version_id) AS valid_from FROM ${versions}) next
      WHERE ${versions}.version_id = next.version_id AND ${versions}.${OPEN} AND next.valid_from IS NOT NULL;
    DELETE FROM ${versions} WHERE valid_to = ${TOMBSTONE};`;
  db.exec(`
    DELETE FROM ${h.rows} WHERE EXISTS (SELECT 1 FROM ${h.forgotten} f
      WHERE f.id = ${h.rows}.${h.id} AND ${h.rows}.version_id <= f.rows_up_to);
    DELETE FROM ${h.metadata} WHERE EXISTS (SELECT 1 FROM ${h.forgotten} f
      WHERE f.id = ${h.metadata}.resource_id AND ${h.metadata}.version_id <= f.metadata_up_to);
    DELETE FROM ${h.forgotten};
    ${closeVersions(h.rows, h.id)}
    ${closeVersions(h.metadata, 'resource_id')}
  `);
  deriveEntryIntervals(db, h);
  if (!resume) return;
  dropTriggers(db, h, 'history_load');
  db.exec(`DROP TABLE IF EXISTS ${h.forgotten}; ${byResourceIndexes(h)} ${liveTriggers(h)}`);
  db.loadingHistory = false;
}

/** A metadata version as `deriveEntryIntervals` reads it, its pairs gathered. */
interface VersionRead {
  id: number;
  workspace: string;
  position: number;
  from: number;
  to: number;
  pairs: Map<string, string>;
}

/**
 * The entry intervals, derived from the metadata versions in one ordered read: an interval is a run of a
 * resource's consecutive metadata versions that hold the same value for the key. It begins when the run's
 * first version does and ends when its last one does, as the live triggers open and close it. The pairs
 * come out of SQLite (`json_each`, so that values are encoded as the triggers encode them), in each
 * resource's version order, and the runs are followed here: a window-function query over the same pairs
 * sorted them three times, and took 1.4–2 times as long (BENCHMARKS.md).
 */
function deriveEntryIntervals(db: SqliteDatabase, h: History): void {
  const order = `${h.metadata}_in_version_order`;
  // An index on the resource alone holds each resource's versions in version (row id) order.
  db.exec(`DELETE FROM ${h.entries}; CREATE INDEX IF NOT EXISTS ${order} ON ${h.metadata} (resource_id)`);
  const pairs = db.prepare(`SELECT mv.version_id, mv.resource_id, mv.workspace_id, mv.created_position, mv.valid_from,
      mv.valid_to, j.key, ${encodedJsonEachValue('j')}
    FROM ${h.metadata} mv INDEXED BY ${order} LEFT JOIN json_each(mv.custom_metadata) j
    ORDER BY mv.resource_id, mv.version_id`);
  pairs.setReturnArrays(true);
  const insert = db.prepare(`INSERT INTO ${h.entries}
    (workspace_id, key, value, created_position, resource_id, valid_from, valid_to) VALUES (?, ?, ?, ?, ?, ?, ?)`);
  /** The intervals still open for the resource being read: key → its value, start, workspace and position. */
  const open = new Map<string, [value: string, from: number, workspace: string, position: number]>();
  let resource: string | null = null;
  /** When the resource's latest version read so far ends: where an interval that it closes ends. */
  let lastEnd = 0;
  const closeAll = () => {
    for (const [key, [value, from, workspace, position]] of open)
      insert.run(workspace, key, value, position, resource, from, lastEnd);
    open.clear();
  };
  /** The version being read: its pairs gather here until the next version begins. */
  let version = null as VersionRead | null;
  const endVersion = () => {
    if (!version) return;
    for (const [key, [value, from, workspace, position]] of open) {
      if (version.pairs.get(key) === value) continue;
      insert.run(workspace, key, value, position, resource, from, lastEnd);
      open.delete(key);
    }
    for (const [key, value] of version.pairs) {
      if (!open.has(key)) open.set(key, [value, version.from, version.workspace, version.position]);
    }
    lastEnd = version.to;
  };
  for (const row of pairs.iterate() as Iterable<unknown[]>) {
    const [id, resourceId, workspace, position, from, to, key, value] = row as [
      number,
      string,
      string,
      number,
      number,
      number,
      string | null,
      string | null,
    ];
    if (version?.id !== id) {
      endVersion();
      if (resourceId !== resource) {
        closeAll();
        resource = resourceId;
      }
      version = { id, workspace, position, from, to, pairs: new Map() };
    }
    if (key !== null && value !== null) version.pairs.set(key, value);
  }
  endVersion();
  closeAll();
  db.exec(`DROP INDEX ${order}`);
}

/**
 * The indexes only the lists as of a moment read: versions in page order (creation position) with their
 * intervals, each resource's row and metadata versions by its creation position, and each key's and each pair's entries in page order. (Each resource's versions by time are
 * indexed with the tables: `forgetRowHistory` needs them during a bulk load too.)
 */
export function rowHistoryIndexes(source: HistoryTable): { name: string; on: string }[] {
  const { table, resourceType } = source;
  const [rows, entries] = [rowVersionsTable(table), entryVersionsTable(resourceType)];
  const metadata = metadataVersionsTable(resourceType);
  return [
    { name: `${rows}_in_page_order`, on: `${rows} (workspace_id, created_position, valid_from, valid_to)` },
    { name: `${rows}_by_position`, on: `${rows} (created_position, valid_from)` },
    { name: `${metadata}_by_position`, on: `${metadata} (created_position, valid_from)` },
    {
      name: `${entries}_by_value`,
      on: `${entries} (workspace_id, key, value, created_position, valid_from, valid_to, resource_id)`,
    },
    {
      name: `${entries}_by_key`,
      on: `${entries} (workspace_id, key, created_position, valid_from, valid_to, resource_id)`,
    },
  ];
}

/**
 * An erased resource's history, gone with it: a deletion that erases (a connected account's, and its
 * devices') leaves no past of its data to list, as its events read as erased from then on.
 */
export function forgetRowHistory(db: SqliteDatabase, source: HistoryTable, id: string): void {
  if (!keepsRowHistory(db, source)) return; // none to forget

  const h = historyOf(db, source);
  // While a load runs there is no index by resource: the deletes wait for its end, one pass for all, and
  // take only the versions written so far (an id used again later keeps its new past).
  if (db.loadingHistory) {
    prepared(
      db,
      `INSERT INTO ${h.forgotten} (id, rows_up_to, metadata_up_to)
       VALUES (?, (SELECT coalesce(max(version_id), 0) FROM ${h.rows}), (SELECT coalesce(max(version_id), 0) FROM ${h.metadata}))
       ON CONFLICT (id) DO UPDATE SET rows_up_to = excluded.rows_up_to, metadata_up_to = excluded.metadata_up_to`,
    ).run(id);
    return;
  }
  prepared(db, `DELETE FROM ${h.rows} WHERE ${h.id} = ?`).run(id);
  prepared(db, `DELETE FROM ${h.metadata} WHERE resource_id = ?`).run(id);
  prepared(db, `DELETE FROM ${h.entries} WHERE resource_id = ?`).run(id);
}
