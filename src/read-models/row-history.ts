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
 *   writes two entry rows, not fifty.
 *
 * Values are JSON-encoded by SQLite (`json_quote`, booleans as `true`/`false`), and the queries encode theirs
 * the same way (`encodedValueSql`). A projection declares the table (`Projection.history`, as data), and its
 * file holds the history only when built at its own version (an older version's file, serving during an
 * upgrade, has none). The triggers read the time of the event being applied (`projected_event_time()`,
 * registered on every projection's connection by `registerProjectedEventTime`).
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

/** The tables and triggers of `source`'s history: called once its table exists (ProjectionDatabase). */
export function initRowHistory(db: SqliteDatabase, source: HistoryTable): void {
  const { table, idColumn, resourceType } = source;
  const columns = (prepared(db, 'SELECT name FROM pragma_table_info(?) ORDER BY cid').all(table) as { name: string }[])
    .map((c) => c.name)
    .filter((name) => name !== 'custom_metadata');
  const [rows, metadata, entries] = [
    rowVersionsTable(table),
    metadataVersionsTable(resourceType),
    entryVersionsTable(resourceType),
  ];
  const now = 'projected_event_time()';
  const open = `valid_to = ${OPEN_END}`;
  const close = (versions: string, id: string, column = 'resource_id') =>
    `UPDATE ${versions} SET valid_to = ${now} WHERE ${column} = ${id} AND ${open};`;
  const newRow = `INSERT INTO ${rows} (valid_from, valid_to, ${columns.join(', ')})
      VALUES (${now}, ${OPEN_END}, ${columns.map((c) => `NEW.${c}`).join(', ')});`;
  const newMetadata = `INSERT INTO ${metadata} (resource_id, workspace_id, created_position, valid_from, valid_to, custom_metadata)
      VALUES (NEW.${idColumn}, NEW.workspace_id, NEW.created_position, ${now}, ${OPEN_END}, NEW.custom_metadata);`;
  // The pairs NEW has and `than` has not (all of NEW's pairs when `than` is null).
  const newEntries = (than: string | null) => `INSERT INTO ${entries}
      (workspace_id, key, value, created_position, resource_id, valid_from, valid_to)
      SELECT NEW.workspace_id, j.key, ${encodedJsonEachValue('j')}, NEW.created_position, NEW.${idColumn}, ${now}, ${OPEN_END}
      FROM json_each(NEW.custom_metadata) j
      ${than === null ? '' : `WHERE NOT EXISTS (SELECT 1 FROM json_each(${than}) o WHERE o.key = j.key AND ${encodedJsonEachValue('o')} = ${encodedJsonEachValue('j')})`};`;
  const changed = columns.map((c) => `NEW.${c} IS NOT OLD.${c}`).join(' OR ');
  db.exec(`
    CREATE TABLE IF NOT EXISTS ${rows} (
      version_id INTEGER PRIMARY KEY, valid_from INTEGER NOT NULL, valid_to INTEGER NOT NULL, ${columns.join(', ')}
    );
    CREATE INDEX IF NOT EXISTS ${rows}_open ON ${rows} (${idColumn}) WHERE ${open};
    CREATE INDEX IF NOT EXISTS ${rows}_by_time ON ${rows} (${idColumn}, valid_from);
    CREATE TABLE IF NOT EXISTS ${metadata} (
      version_id INTEGER PRIMARY KEY, resource_id TEXT NOT NULL, workspace_id TEXT NOT NULL,
      created_position INTEGER NOT NULL, valid_from INTEGER NOT NULL, valid_to INTEGER NOT NULL, custom_metadata TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS ${metadata}_open ON ${metadata} (resource_id) WHERE ${open};
    CREATE INDEX IF NOT EXISTS ${metadata}_by_time ON ${metadata} (resource_id, valid_from);
    CREATE TABLE IF NOT EXISTS ${entries} (
      version_id INTEGER PRIMARY KEY, workspace_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
      created_position INTEGER NOT NULL, resource_id TEXT NOT NULL, valid_from INTEGER NOT NULL, valid_to INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS ${entries}_open ON ${entries} (resource_id) WHERE ${open};
    CREATE INDEX IF NOT EXISTS ${entries}_by_resource ON ${entries} (resource_id, key, valid_from);

    CREATE TRIGGER IF NOT EXISTS ${table}_history_insert AFTER INSERT ON ${table} BEGIN
      ${close(rows, `NEW.${idColumn}`, idColumn)} ${close(metadata, `NEW.${idColumn}`)} ${close(entries, `NEW.${idColumn}`)}
      ${newRow} ${newMetadata} ${newEntries(null)}
    END;
    CREATE TRIGGER IF NOT EXISTS ${table}_history_update AFTER UPDATE OF ${columns.join(', ')} ON ${table}
      WHEN ${changed} BEGIN ${close(rows, `OLD.${idColumn}`, idColumn)} ${newRow} END;
    CREATE TRIGGER IF NOT EXISTS ${table}_history_metadata AFTER UPDATE OF custom_metadata ON ${table}
      WHEN NEW.custom_metadata IS NOT OLD.custom_metadata BEGIN
      ${close(metadata, `OLD.${idColumn}`)} ${newMetadata}
      UPDATE ${entries} SET valid_to = ${now} WHERE resource_id = OLD.${idColumn} AND ${open}
        AND NOT EXISTS (SELECT 1 FROM json_each(NEW.custom_metadata) j
          WHERE j.key = ${entries}.key AND ${encodedJsonEachValue('j')} = ${entries}.value);
      ${newEntries('OLD.custom_metadata')}
    END;
    CREATE TRIGGER IF NOT EXISTS ${table}_history_delete AFTER DELETE ON ${table} BEGIN
      ${close(rows, `OLD.${idColumn}`, idColumn)} ${close(metadata, `OLD.${idColumn}`)} ${close(entries, `OLD.${idColumn}`)}
    END;
  `);
}

/**
 * The indexes only the lists as of a moment read: versions in page order (creation position) with their
 * intervals, and each key's and each pair's entries in page order. (Each resource's versions by time are
 * indexed with the tables: `forgetRowHistory` needs them during a bulk load too.)
 */
export function rowHistoryIndexes(source: HistoryTable): { name: string; on: string }[] {
  const { table, resourceType } = source;
  const [rows, entries] = [rowVersionsTable(table), entryVersionsTable(resourceType)];
  return [
    { name: `${rows}_in_page_order`, on: `${rows} (workspace_id, created_position, valid_from, valid_to)` },
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
  const { table, idColumn, resourceType } = source;
  prepared(db, `DELETE FROM ${rowVersionsTable(table)} WHERE ${idColumn} = ?`).run(id);
  prepared(db, `DELETE FROM ${metadataVersionsTable(resourceType)} WHERE resource_id = ?`).run(id);
  prepared(db, `DELETE FROM ${entryVersionsTable(resourceType)} WHERE resource_id = ?`).run(id);
}
