import type { SqliteDatabase, SqliteValue } from '../common/sqlite.js';
import { prepared } from '../common/prepared.js';
import type { CustomMetadata } from '../custom-metadata/custom-metadata.js';
import type { MetadataResourceType } from '../custom-metadata/metadata-set.js';
import type { ReadIndex } from './projection.js';

/**
 * One row per (resource, key) with the value JSON-encoded, so `custom_metadata_has` is an indexed lookup
 * (`customMetadataLookup`) and `true` never equals `"true"`. Each row carries its resource's
 * `created_position`, the lists' order, last in the lookup: a page of the newest matches is read from the
 * index in page order, however many resources match. Every resource's projection keeps it with
 * `setCustomMetadata` (and `removeCustomMetadataIndex` for a deleted resource), and lists the table and
 * the lookup among its tables and read indexes. Each resource type has its own table, in its projection's
 * own database file (read-model-database.ts), so that one projection is rebuilt without the others.
 */
export const metadataEntriesTable = (type: MetadataResourceType) => `${type}_metadata_entries`;

export const customMetadataIndexDdl = (type: MetadataResourceType) => `
  CREATE TABLE IF NOT EXISTS ${metadataEntriesTable(type)} (
    resource_type TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    workspace_id  TEXT NOT NULL,
    key           TEXT NOT NULL,
    value         TEXT NOT NULL,
    created_position INTEGER NOT NULL,
    PRIMARY KEY (resource_type, resource_id, key)
  );
`;

export const customMetadataLookup = (type: MetadataResourceType): ReadIndex => ({
  name: `${type}_metadata_lookup`,
  on: `${metadataEntriesTable(type)} (resource_type, workspace_id, key, value, created_position)`,
});

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

/** The resource's index entries: its pairs replace whatever it had (none, for `null`). */
function writeIndexEntries(db: SqliteDatabase, entries: IndexEntries): void {
  const table = metadataEntriesTable(entries.resource_type);
  prepared(db, `DELETE FROM ${table} WHERE resource_type = ? AND resource_id = ?`).run(
    entries.resource_type,
    entries.resource_id,
  );
  if (entries.metadata === null) return;
  const insert = prepared(
    db,
    `INSERT INTO ${table} (resource_type, resource_id, workspace_id, key, value, created_position)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  for (const [key, value] of Object.entries(entries.metadata)) {
    const { resource_type, resource_id, workspace_id, created_position } = entries;
    insert.run(resource_type, resource_id, workspace_id, key, JSON.stringify(value), created_position);
  }
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
}

/** Writes what waits; with `stopDeferring`, later changes are written at once again. */
export function writeDeferredCustomMetadataIndex(db: SqliteDatabase, { stopDeferring = false } = {}): void {
  const deferred = db.deferredIndexWrites as Map<string, IndexEntries> | undefined;
  if (!deferred) return;
  for (const entries of deferred.values()) writeIndexEntries(db, entries);
  deferred.clear();
  if (stopDeferring) db.deferredIndexWrites = undefined;
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
 * SQL conditions (and their parameters) keeping only resources whose metadata holds every pair of `filter`.
 * One pair drives: a lookup in the type's `customMetadataLookup` (type, workspace, key, value) gives the resources
 * that match it, so the query follows its matches rather than the workspace. A string pair drives rather
 * than a boolean one (a boolean matches about half of everything). Every other pair is checked on each of
 * those resources through the primary key (type, resource, key).
 */
export function customMetadataHasCondition(
  resourceType: MetadataResourceType,
  idColumn: string,
  workspaceId: string,
  filter: CustomMetadata | undefined,
): { sql: string[]; params: SqliteValue[] } {
  const has = customMetadataHasParts(resourceType, idColumn, filter);
  if (!has) return { sql: [], params: [] };
  return {
    sql: [
      `${idColumn} IN (SELECT m.resource_id FROM ${metadataEntriesTable(resourceType)} m
       WHERE m.resource_type = ? AND m.workspace_id = ? AND m.key = ? AND m.value = ?)`,
      ...has.others.sql,
    ],
    params: [resourceType, workspaceId, has.driver.key, has.driver.value, ...has.others.params],
  };
}

/**
 * `filter` as its driving pair (its key, and its value as the index holds it) and the conditions on the
 * other pairs, checked on each match through the primary key; undefined for no filter.
 */
export function customMetadataHasParts(
  resourceType: MetadataResourceType,
  idColumn: string,
  filter: CustomMetadata | undefined,
): { driver: { key: string; value: string }; others: { sql: string[]; params: SqliteValue[] } } | undefined {
  const pairs = Object.entries(filter ?? {});
  if (pairs.length === 0) return undefined;
  const [driverKey, driverValue] = pairs.find(([, value]) => typeof value === 'string') ?? pairs[0];
  const others = { sql: [] as string[], params: [] as SqliteValue[] };
  for (const [key, value] of pairs) {
    if (key === driverKey) continue;
    others.sql.push(
      `EXISTS (SELECT 1 FROM ${metadataEntriesTable(resourceType)} m2 WHERE m2.resource_type = ? AND m2.resource_id = ${idColumn}
       AND m2.key = ? AND m2.value = ?)`,
    );
    others.params.push(resourceType, key, JSON.stringify(value));
  }
  return { driver: { key: driverKey, value: JSON.stringify(driverValue) }, others };
}
