import type { SqliteDatabase, SqliteValue } from '../common/sqlite.js';
import { prepared } from '../common/prepared.js';
import type { CustomMetadata, CustomMetadataValue } from '../custom-metadata/custom-metadata.js';
import { METADATA_RESOURCE_TYPES, type MetadataResourceType } from '../custom-metadata/metadata-set.js';
import { LRUCache } from 'lru-cache';
import {
  matchesMetadataTerms,
  MAX_SELECTOR_VALUES,
  metadataTerms,
  type CustomMetadataMatch,
  type MetadataTerm,
} from '../custom-metadata/custom-metadata-selector.js';
import { page, type PageRequest, type Pagination } from './pagination.js';
import type { ReadIndex } from './projection.js';

/**
 * One row per (resource, key) with the value JSON-encoded, so `custom_metadata_has` is an indexed lookup
 * (`customMetadataIndexes`) and `true` never equals `"true"`. Each row carries its resource's
 * `created_position`, the lists' order, last in the lookup: a page of the newest matches is read from the
 * index in page order, however many resources match. Every resource's projection keeps it with
 * `setCustomMetadata` (and `removeCustomMetadataIndex` for a deleted resource), and lists the table and
 * the lookup among its tables and read indexes. Each resource type has its own table, in its projection's
 * own database file (read-model-database.ts), so that one projection is rebuilt without the others.
 */
export const metadataEntriesTable = (type: MetadataResourceType) => `${type}_metadata_entries`;
/** How many resources of the workspace hold each pair, and each key: the key inventory (`metadataKeyInventory`). */
export const metadataValueCountsTable = (type: MetadataResourceType) => `${type}_metadata_value_counts`;
export const metadataKeyCountsTable = (type: MetadataResourceType) => `${type}_metadata_key_counts`;
/** The column of a key's id in the key counts: the inventory's page order. */
export const METADATA_KEY_ID = 'key_id';

/**
 * The index's tables. The counts follow the entries by triggers on the entries themselves, so that every
 * path that writes or deletes entries (an update, a deletion, an erasure) keeps them; a file made before
 * they existed has them derived from its entries once, when it is opened. A bulk load derives them once at
 * its end instead (`deferCustomMetadataIndex`).
 */
export function initCustomMetadataIndex(db: SqliteDatabase, type: MetadataResourceType): void {
  const [entries, values, keys] = [
    metadataEntriesTable(type),
    metadataValueCountsTable(type),
    metadataKeyCountsTable(type),
  ];
  const counted = tableExists(db, values);
  db.exec(`
    CREATE TABLE IF NOT EXISTS ${entries} (
      resource_type TEXT NOT NULL,
      resource_id   TEXT NOT NULL,
      workspace_id  TEXT NOT NULL,
      key           TEXT NOT NULL,
      value         TEXT NOT NULL,
      created_position INTEGER NOT NULL,
      PRIMARY KEY (resource_type, resource_id, key)
    );
    CREATE TABLE IF NOT EXISTS ${values} (
      workspace_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, resources INTEGER NOT NULL,
      PRIMARY KEY (workspace_id, key, value)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS ${values}_by_frequency ON ${values} (workspace_id, key, resources);
    -- A key's id orders the inventory's pages: the order in which the workspace's keys first appeared.
    CREATE TABLE IF NOT EXISTS ${keys} (
      key_id INTEGER PRIMARY KEY, workspace_id TEXT NOT NULL, key TEXT NOT NULL, resources INTEGER NOT NULL,
      UNIQUE (workspace_id, key)
    );
    CREATE INDEX IF NOT EXISTS ${keys}_by_workspace ON ${keys} (workspace_id);
  `);
  if (!counted) deriveMetadataCounts(db, type);
  db.exec(countTriggersDdl(type));
}

const countTriggers = (type: MetadataResourceType) =>
  ['insert', 'delete'].map((change) => `${metadataEntriesTable(type)}_counted_${change}`);

function countTriggersDdl(type: MetadataResourceType): string {
  const [entries, values, keys] = [
    metadataEntriesTable(type),
    metadataValueCountsTable(type),
    metadataKeyCountsTable(type),
  ];
  const [onInsert, onDelete] = countTriggers(type);
  return `
    CREATE TRIGGER IF NOT EXISTS ${onInsert} AFTER INSERT ON ${entries} BEGIN
      INSERT INTO ${values} (workspace_id, key, value, resources) VALUES (NEW.workspace_id, NEW.key, NEW.value, 1)
        ON CONFLICT (workspace_id, key, value) DO UPDATE SET resources = resources + 1;
      INSERT INTO ${keys} (workspace_id, key, resources) VALUES (NEW.workspace_id, NEW.key, 1)
        ON CONFLICT (workspace_id, key) DO UPDATE SET resources = resources + 1;
    END;
    CREATE TRIGGER IF NOT EXISTS ${onDelete} AFTER DELETE ON ${entries} BEGIN
      UPDATE ${values} SET resources = resources - 1 WHERE workspace_id = OLD.workspace_id AND key = OLD.key AND value = OLD.value;
      DELETE FROM ${values} WHERE workspace_id = OLD.workspace_id AND key = OLD.key AND value = OLD.value AND resources <= 0;
      UPDATE ${keys} SET resources = resources - 1 WHERE workspace_id = OLD.workspace_id AND key = OLD.key;
      DELETE FROM ${keys} WHERE workspace_id = OLD.workspace_id AND key = OLD.key AND resources <= 0;
    END;`;
}

/** The counts as the entries make them now: one pass over the entries, grouped. */
function deriveMetadataCounts(db: SqliteDatabase, type: MetadataResourceType): void {
  const [entries, values, keys] = [
    metadataEntriesTable(type),
    metadataValueCountsTable(type),
    metadataKeyCountsTable(type),
  ];
  db.exec(`
    DELETE FROM ${values};
    DELETE FROM ${keys};
    INSERT INTO ${values} (workspace_id, key, value, resources)
      SELECT workspace_id, key, value, count(*) FROM ${entries} GROUP BY workspace_id, key, value;
    INSERT INTO ${keys} (workspace_id, key, resources)
      SELECT workspace_id, key, count(*) FROM ${entries} GROUP BY workspace_id, key;
  `);
}

const tableExists = (db: SqliteDatabase, name: string) =>
  prepared(db, 'SELECT 1 FROM pragma_table_list WHERE name = ?').get(name) !== undefined;

/** The resource types whose metadata index this connection's file holds (its projection's). */
const indexedTypes = (db: SqliteDatabase) =>
  METADATA_RESOURCE_TYPES.filter((type) => tableExists(db, metadataEntriesTable(type)));

/** During a bulk load, for a comparison with live read models (`replay --verify`): the counts as they would be now. */
export function deriveCustomMetadataCountsNow(db: SqliteDatabase): void {
  for (const type of indexedTypes(db)) deriveMetadataCounts(db, type);
}

/**
 * The entries of a key's value (`custom_metadata_has`, a value, `in`), and of a key whatever its value
 * (`exists: true`), each in the lists' page order.
 */
export const customMetadataIndexes = (type: MetadataResourceType): ReadIndex[] => [
  {
    name: `${type}_metadata_lookup`,
    on: `${metadataEntriesTable(type)} (resource_type, workspace_id, key, value, created_position)`,
  },
  {
    name: `${type}_metadata_by_key`,
    on: `${metadataEntriesTable(type)} (resource_type, workspace_id, key, created_position)`,
  },
];

/**
 * A resource's row keeps its metadata in a column of its own (`custom_metadata`, JSON) beside the JSON of
 * the rest of its record (`record`): a metadata change, most of the log, writes that column and the index
 * (`setCustomMetadata`) and never re-serialises the whole record. `recordOf` puts the two together again.
 */
export const CUSTOM_METADATA_COLUMN_DDL = `custom_metadata TEXT NOT NULL DEFAULT '{}'`;

/** The columns a resource's record is read from: select both. */
export interface RecordColumns {
  record: string;
  custom_metadata: string;
}

/** The record as the rest of the code knows it: the row's JSON with its metadata. */
export function recordOf<Record extends { custom_metadata: CustomMetadata }>(row: RecordColumns): Record {
  const record = JSON.parse(row.record) as Record;
  record.custom_metadata = JSON.parse(row.custom_metadata) as CustomMetadata;
  return record;
}

/** What the `record` column holds: everything but the metadata, which has a column of its own. */
export function recordJson(record: { custom_metadata: CustomMetadata }): string {
  const { custom_metadata: _metadata, ...rest } = record;
  return JSON.stringify(rest);
}

/**
 * A `MetadataSet`: the resource's metadata column and its index entries, when the workspace has the resource.
 * `table` is the resource's table, keyed by `idColumn`.
 */
export function setCustomMetadata(
  db: SqliteDatabase,
  table: { table: string; idColumn: string },
  resource: { resource_type: MetadataResourceType; resource_id: string; workspace_id: string },
  metadata: CustomMetadata,
): void {
  const sql = `UPDATE ${table.table} SET custom_metadata = ? WHERE workspace_id = ? AND ${table.idColumn} = ?
    RETURNING created_position`;
  const updated = prepared(db, sql).get(JSON.stringify(metadata), resource.workspace_id, resource.resource_id) as
    { created_position: number } | undefined;
  if (updated) indexCustomMetadata(db, { ...resource, created_position: updated.created_position }, metadata);
}

/**
 * The resource's index entries: its pairs replace whatever it had (none, for `null`). Only the pairs that
 * changed are deleted and inserted: the others, and the counts their triggers keep, are left as they are.
 */
function writeIndexEntries(db: SqliteDatabase, entries: IndexEntries): void {
  const table = metadataEntriesTable(entries.resource_type);
  const { resource_type, resource_id, workspace_id, created_position } = entries;
  if (entries.metadata === null) {
    prepared(db, `DELETE FROM ${table} WHERE resource_type = ? AND resource_id = ?`).run(resource_type, resource_id);
    return;
  }
  const next = new Map(Object.entries(entries.metadata).map(([key, value]) => [key, JSON.stringify(value)]));
  const existing = prepared(db, `SELECT key, value FROM ${table} WHERE resource_type = ? AND resource_id = ?`).all(
    resource_type,
    resource_id,
  ) as { key: string; value: string }[];
  const remove = prepared(db, `DELETE FROM ${table} WHERE resource_type = ? AND resource_id = ? AND key = ?`);
  for (const { key, value } of existing) {
    if (next.get(key) === value) next.delete(key);
    else remove.run(resource_type, resource_id, key);
  }
  const insert = prepared(
    db,
    `INSERT INTO ${table} (resource_type, resource_id, workspace_id, key, value, created_position)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  for (const [key, value] of next) insert.run(resource_type, resource_id, workspace_id, key, value, created_position);
}

interface IndexEntries {
  resource_type: MetadataResourceType;
  resource_id: string;
  workspace_id: string;
  created_position: number;
  metadata: CustomMetadata | null;
}

/**
 * While a replay loads a fresh database (see ReadModelDatabase.bulkLoad), index writes wait on the
 * connection (`deferredIndexWrites`), the latest per resource, and `writeDeferredCustomMetadataIndex`
 * writes each resource's entries once at the end of the batch, in its transaction: a device changed ten
 * times in a batch is indexed once, not ten times. Nothing reads the index of a database that is loading.
 */
export function deferCustomMetadataIndex(db: SqliteDatabase): void {
  db.deferredIndexWrites ??= new Map<string, IndexEntries>();
  // The counts, too, are derived once at the end rather than kept entry by entry.
  for (const type of indexedTypes(db))
    for (const trigger of countTriggers(type)) db.exec(`DROP TRIGGER IF EXISTS ${trigger}`);
}

/** Writes what waits; with `stopDeferring`, later changes are written at once again. */
export function writeDeferredCustomMetadataIndex(db: SqliteDatabase, { stopDeferring = false } = {}): void {
  const deferred = db.deferredIndexWrites as Map<string, IndexEntries> | undefined;
  if (!deferred) return;
  for (const entries of deferred.values()) writeIndexEntries(db, entries);
  deferred.clear();
  if (stopDeferring) db.deferredIndexWrites = undefined;
}

/** Ends a bulk load's deferral of the counts (`deferCustomMetadataIndex`): derived once, then kept by the triggers again. */
export function resumeCustomMetadataCounts(db: SqliteDatabase): void {
  for (const type of indexedTypes(db)) {
    deriveMetadataCounts(db, type);
    db.exec(countTriggersDdl(type));
  }
}

function indexOrDefer(db: SqliteDatabase, entries: IndexEntries): void {
  const deferred = db.deferredIndexWrites;
  if (deferred) deferred.set(`${entries.resource_type}\u0000${entries.resource_id}`, entries);
  else writeIndexEntries(db, entries);
}

function indexCustomMetadata(
  db: SqliteDatabase,
  resource: {
    resource_type: MetadataResourceType;
    resource_id: string;
    workspace_id: string;
    created_position: number;
  },
  metadata: CustomMetadata,
): void {
  indexOrDefer(db, { ...resource, metadata });
}

export function removeCustomMetadataIndex(
  db: SqliteDatabase,
  resourceType: MetadataResourceType,
  resourceId: string,
): void {
  indexOrDefer(db, {
    resource_type: resourceType,
    resource_id: resourceId,
    workspace_id: '',
    created_position: 0,
    metadata: null,
  });
}

/**
 * The SQL saying that `term` holds for the row whose metadata column (`CUSTOM_METADATA_COLUMN_DDL`) is
 * `metadataColumn`: read from the row a list has in hand already, rather than a seek per term in the index of
 * entries (three such seeks per candidate made a page with every form at once 5× the cost of one term). The
 * key is a JSON path label, quoted as JSON quotes it (SQLite reads any key so); `->>` gives a string as text
 * and a boolean as 1 or 0, which never equals a string, so `"true"` and `true` stay apart as in the index.
 */
export function metadataTermCondition(
  metadataColumn: string,
  term: MetadataTerm,
): { sql: string; params: SqliteValue[] } {
  const value = `(${metadataColumn} ->> ?)`;
  const path = `$.${JSON.stringify(term.key)}`;
  if (term.values === null) return { sql: `${value} IS ${term.negated ? '' : 'NOT '}NULL`, params: [path] };
  return {
    sql: `${term.negated ? 'NOT ' : ''}IFNULL(${value} IN (${term.values.map(() => '?').join(', ')}), 0)`,
    params: [path, ...term.values.map((v) => (typeof v === 'boolean' ? Number(v) : v))],
  };
}

/**
 * The term whose index entries a list reads in page order, the others being checked on each of its matches:
 * an equality on a string first (the narrowest), then an `in` (the shortest), then an equality on a boolean
 * (about half of everything matches one), then `exists: true`. A negated term (`not_in`, `exists: false`)
 * never drives: what lacks a value has no entry to read.
 */
export function drivingTerm(terms: readonly MetadataTerm[]): MetadataTerm | undefined {
  const rank = (term: MetadataTerm) => {
    if (term.values === null) return 3 * MAX_SELECTOR_VALUES;
    if (term.values.length > 1) return term.values.length;
    return typeof term.values[0] === 'string' ? 0 : 2 * MAX_SELECTOR_VALUES;
  };
  const positive = terms.filter((term) => !term.negated);
  return positive.length === 0 ? undefined : positive.reduce((best, term) => (rank(term) < rank(best) ? term : best));
}

/**
 * `custom_metadata_matches(metadata, selector)`, both JSON: whether the metadata satisfies the selector
 * (`custom_metadata_match`); NULL metadata (an event without that resource) never does. For what has no
 * index of entries: the snapshots frozen in the public events, which events/list, the streams and the
 * webhooks filter by. Registered on the read models' connections (read-model-database.ts).
 */
export function registerCustomMetadataMatches(db: SqliteDatabase): void {
  const parsed = new LRUCache<string, MetadataTerm[]>({ max: 256 });
  db.function('custom_metadata_matches', { deterministic: true }, (metadata, selector) => {
    if (typeof metadata !== 'string' || typeof selector !== 'string') return 0;
    let terms = parsed.get(selector);
    if (!terms) {
      terms = metadataTerms(undefined, JSON.parse(selector) as CustomMetadataMatch);
      parsed.set(selector, terms);
    }
    return matchesMetadataTerms(JSON.parse(metadata) as CustomMetadata, terms) ? 1 : 0;
  });
}

/** A key of the inventory: how many resources hold it, and its most frequent values with theirs. */
export interface MetadataKeyCount {
  key: string;
  resources: number;
  top_values: { value: CustomMetadataValue; resources: number }[];
}

/** How many of a key's values the inventory lists, the most frequent first. */
export const INVENTORY_TOP_VALUES = 10;

/**
 * A page of the workspace's keys (`custom_metadata/keys/list`), in the order they first appeared, read from
 * the counts the entries' triggers keep: one seek for the page, one per key for its most frequent values
 * (ties: the greater value first), never a scan of the resources or their entries.
 */
export function metadataKeyInventory(
  db: SqliteDatabase,
  type: MetadataResourceType,
  workspaceId: string,
  request: PageRequest,
  nextPageUrl: (cursor: string) => string,
): { items: MetadataKeyCount[]; pagination: Pagination } {
  const keys = prepared(
    db,
    `SELECT key_id, key, resources FROM ${metadataKeyCountsTable(type)}
     WHERE workspace_id = ? AND key_id > ? ORDER BY key_id LIMIT ?`,
  ).all(workspaceId, request.continueAfter ?? 0, request.limit + 1) as {
    key_id: number;
    key: string;
    resources: number;
  }[];
  const { items, pagination } = page(keys, request, (row) => row.key_id, nextPageUrl);
  const values = prepared(
    db,
    `SELECT value, resources FROM ${metadataValueCountsTable(type)} WHERE workspace_id = ? AND key = ?
     ORDER BY resources DESC, value DESC LIMIT ?`,
  );
  return {
    items: items.map(({ key, resources }) => ({
      key,
      resources,
      top_values: (values.all(workspaceId, key, INVENTORY_TOP_VALUES) as { value: string; resources: number }[]).map(
        (row) => ({ value: JSON.parse(row.value) as CustomMetadataValue, resources: row.resources }),
      ),
    })),
    pagination,
  };
}
