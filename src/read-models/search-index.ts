import type { SqliteDatabase } from '../common/sqlite.js';
import type { MetadataResourceType } from '../custom-metadata/metadata-set.js';

/**
 * Seam's `search` (a case-insensitive partial match) served from indexes, never from a scan of the workspace:
 * - `<type>_search_text` holds one row per resource, keyed by its creation position (the lists' newest-first
 *   key), with the fields its route searches and its custom-metadata values, separated by a character no
 *   search contains;
 * - `<type>_search`, SQLite's FTS5 with the trigram tokenizer over that table (external content), answers
 *   `LIKE '%…%'` from its index for any search of three characters or more.
 * Each resource type has its own, in its projection's own database file.
 * A search of one or two characters cannot use trigrams: it reads at most SHORT_SEARCH_WINDOW of the
 * workspace's rows a page, newest first, and the page then says where to go on (see `listNewestFirst`).
 * Either way no request holds the event loop for long.
 *
 * A projection declares its table's searchable fields (`search`, as data); triggers on that table keep both
 * tables, so no projection's `apply` has to remember them. A bulk load builds them once at the end instead.
 */
export const searchTextTable = (type: MetadataResourceType) => `${type}_search_text`;
export const searchIndexTable = (type: MetadataResourceType) => `${type}_search`;
/** Marks a type's search rows as written once (read models built before the index had none). */
const searchBuiltTable = (type: MetadataResourceType) => `${type}_search_built`;

/** How many of the workspace's rows a page of a one- or two-character search reads. */
export const SHORT_SEARCH_WINDOW = 2_000;

/**
 * The LIKE pattern (with `ESCAPE '\\'`) of Seam's exact match: the search anywhere in the text, its own `%`,
 * `_` and `\\` taken literally.
 */
export const exactSearchPattern = (search: string) => `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Whether `search` is answered from the trigram index (three characters or more) or by a bounded read. */
export const usesTrigrams = (search: string) => [...search].length >= 3;

export interface SearchableTable {
  table: string;
  resourceType: MetadataResourceType;
  /** SQL for the fields `search` matches, on the row alias given (`NEW` in a trigger, `r` in a backfill). */
  searchable: (row: string) => readonly string[];
}

/**
 * The text a row is found by: its searchable fields and its metadata values (booleans as `true`/`false`).
 * `metadata` is SQL for the row's metadata JSON, where it is not the row's column (as of a moment); it
 * appears once in the text.
 */
export function searchTextSql(source: SearchableTable, row: string, metadata = `${row}.custom_metadata`): string {
  const values = `(SELECT group_concat(CASE type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE value END,
    char(31)) FROM json_each(${metadata}))`;
  return [...source.searchable(row), values].map((field) => `coalesce(${field}, '')`).join(' || char(31) || ');
}

/** FTS5 with external content forgets a row by being told its old text. */
const forget = (type: MetadataResourceType, position: string) => `
  INSERT INTO ${searchIndexTable(type)} (${searchIndexTable(type)}, rowid, text)
    SELECT 'delete', position, text FROM ${searchTextTable(type)} WHERE position = ${position};
  DELETE FROM ${searchTextTable(type)} WHERE position = ${position};`;

/** What keeps a resource's search rows as its table changes: three triggers, declared with the table. */
function searchTriggers(source: SearchableTable): string {
  const { table, resourceType } = source;
  const upsert = `${forget(resourceType, 'NEW.created_position')}
      INSERT INTO ${searchTextTable(resourceType)} (position, workspace_id, resource_type, text)
        VALUES (NEW.created_position, NEW.workspace_id, '${resourceType}', ${searchTextSql(source, 'NEW')});
      INSERT INTO ${searchIndexTable(resourceType)} (rowid, text)
        SELECT position, text FROM ${searchTextTable(resourceType)} WHERE position = NEW.created_position;`;
  return `
    CREATE TRIGGER IF NOT EXISTS ${table}_search_insert AFTER INSERT ON ${table} BEGIN ${upsert} END;
    CREATE TRIGGER IF NOT EXISTS ${table}_search_update AFTER UPDATE OF record, custom_metadata ON ${table}
      BEGIN ${upsert} END;
    CREATE TRIGGER IF NOT EXISTS ${table}_search_delete AFTER DELETE ON ${table}
      BEGIN ${forget(resourceType, 'OLD.created_position')} END;`;
}

/** The resource type's search rows, all written again from its table (and marked as built). */
export function writeSearchRows(db: SqliteDatabase, source: SearchableTable): void {
  const { table, resourceType } = source;
  db.exec(`
    DELETE FROM ${searchTextTable(resourceType)};
    INSERT INTO ${searchTextTable(resourceType)} (position, workspace_id, resource_type, text)
      SELECT r.created_position, r.workspace_id, '${resourceType}', ${searchTextSql(source, 'r')} FROM ${table} r;
    INSERT OR IGNORE INTO ${searchBuiltTable(resourceType)} (resource_type) VALUES ('${resourceType}');
  `);
}

/**
 * The tables, the resource table's triggers, and (once per resource type) the rows of read models built
 * before the index. Called for every projection that declares `search`, when the read models are opened.
 */
export function initSearchIndex(db: SqliteDatabase, source: SearchableTable): void {
  const type = source.resourceType;
  const [text, index, built] = [searchTextTable(type), searchIndexTable(type), searchBuiltTable(type)];
  db.exec(`
    CREATE TABLE IF NOT EXISTS ${text} (
      position      INTEGER PRIMARY KEY,
      workspace_id  TEXT NOT NULL,
      resource_type TEXT NOT NULL,
      text          TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS ${text}_by_workspace ON ${text} (workspace_id, resource_type, position);
    CREATE VIRTUAL TABLE IF NOT EXISTS ${index}
      USING fts5(text, content = '${text}', content_rowid = 'position', tokenize = 'trigram');
    CREATE TABLE IF NOT EXISTS ${built} (resource_type TEXT PRIMARY KEY);
    ${searchTriggers(source)}
  `);
  if (db.prepare(`SELECT 1 FROM ${built} WHERE resource_type = ?`).get(type)) return;
  writeSearchRows(db, source);
  db.exec(`INSERT INTO ${index} (${index}) VALUES ('rebuild')`);
}

/**
 * For a bulk load (a replay into a fresh file): the triggers go, so that loading writes no search row; the
 * rows and the index are built once at the end (`rebuildSearchIndex`), as the read indexes are.
 */
export function suspendSearchIndex(db: SqliteDatabase, sources: readonly SearchableTable[]): void {
  for (const { table } of sources) {
    for (const suffix of ['insert', 'update', 'delete']) db.exec(`DROP TRIGGER IF EXISTS ${table}_search_${suffix}`);
  }
}

/** Ends `suspendSearchIndex`: every search row written from the tables, the index built, the triggers back. */
export function rebuildSearchIndex(db: SqliteDatabase, sources: readonly SearchableTable[]): void {
  for (const source of sources) {
    const index = searchIndexTable(source.resourceType);
    writeSearchRows(db, source);
    db.exec(`INSERT INTO ${index} (${index}) VALUES ('rebuild')`);
    db.exec(searchTriggers(source));
  }
}

/**
 * Where a short search's page stops reading: the lowest of the next SHORT_SEARCH_WINDOW positions of the
 * workspace's rows below `below`, or null when fewer are left (the page reads to the end). Index only.
 */
export function shortSearchWindowEnd(
  db: SqliteDatabase,
  workspaceId: string,
  resourceType: MetadataResourceType,
  below: number | null,
): number | null {
  const sql = `SELECT count(*) AS n, min(position) AS lowest FROM (SELECT position FROM ${searchTextTable(resourceType)}
      WHERE workspace_id = ? AND resource_type = ? AND position < ? ORDER BY position DESC LIMIT ?)`;
  const { n, lowest } = db
    .prepare(sql)
    .get(workspaceId, resourceType, below ?? Number.MAX_SAFE_INTEGER, SHORT_SEARCH_WINDOW) as {
    n: number;
    lowest: number | null;
  };
  return n >= SHORT_SEARCH_WINDOW ? lowest : null;
}

/**
 * After an erasure: the index merged into one segment. FTS5 records a deletion as a marker in a new
 * segment, and the older segments keep the deleted text's tokens until they are merged away.
 */
export function scrubSearchIndex(db: SqliteDatabase, sources: readonly SearchableTable[]): void {
  for (const { resourceType } of sources) {
    const index = searchIndexTable(resourceType);
    db.exec(`INSERT INTO ${index} (${index}) VALUES ('optimize')`);
  }
}
