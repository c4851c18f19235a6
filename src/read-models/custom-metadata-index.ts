import type { SqliteDatabase, SqliteValue } from '../common/sqlite.js';
import { prepared } from '../common/prepared.js';
import type { CustomMetadata } from '../custom-metadata/custom-metadata.js';
import type { MetadataResourceType } from '../custom-metadata/metadata-set.js';
import type { ReadIndex } from './projection.js';

/**
 * One row per (resource, key) with the value JSON-encoded, so `custom_metadata_has` is an indexed lookup
 * (`CUSTOM_METADATA_LOOKUP`) and `true` never equals `"true"`. Every resource's projection keeps it with
 * `indexCustomMetadata`, and lists both among its tables and read indexes.
 */
export const CUSTOM_METADATA_INDEX_DDL = `
  CREATE TABLE IF NOT EXISTS custom_metadata_entries (
    resource_type TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    workspace_id  TEXT NOT NULL,
    key           TEXT NOT NULL,
    value         TEXT NOT NULL,
    PRIMARY KEY (resource_type, resource_id, key)
  );
`;

export const CUSTOM_METADATA_LOOKUP: ReadIndex = {
  name: 'custom_metadata_lookup',
  on: 'custom_metadata_entries (resource_type, workspace_id, key, value)',
};

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
  const sql = `UPDATE ${table.table} SET custom_metadata = ? WHERE workspace_id = ? AND ${table.idColumn} = ?`;
  const { changes } = prepared(db, sql).run(JSON.stringify(metadata), resource.workspace_id, resource.resource_id);
  if (Number(changes) > 0) indexCustomMetadata(db, resource, metadata);
}

export function indexCustomMetadata(
  db: SqliteDatabase,
  resource: { resource_type: MetadataResourceType; resource_id: string; workspace_id: string },
  metadata: CustomMetadata,
): void {
  removeCustomMetadataIndex(db, resource.resource_type, resource.resource_id);
  const insert = prepared(
    db,
    `INSERT INTO custom_metadata_entries (resource_type, resource_id, workspace_id, key, value) VALUES (?, ?, ?, ?, ?)`,
  );
  for (const [key, value] of Object.entries(metadata)) {
    insert.run(resource.resource_type, resource.resource_id, resource.workspace_id, key, JSON.stringify(value));
  }
}

export function removeCustomMetadataIndex(
  db: SqliteDatabase,
  resourceType: MetadataResourceType,
  resourceId: string,
): void {
  prepared(db, 'DELETE FROM custom_metadata_entries WHERE resource_type = ? AND resource_id = ?').run(
    resourceType,
    resourceId,
  );
}

/**
 * SQL conditions (and their parameters) keeping only resources whose metadata holds every pair of `filter`.
 * One pair drives: a lookup in `custom_metadata_lookup` (type, workspace, key, value) gives the resources
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
  const pairs = Object.entries(filter ?? {});
  if (pairs.length === 0) return { sql: [], params: [] };
  const driver = pairs.find(([, value]) => typeof value === 'string') ?? pairs[0];
  const sql = [
    `${idColumn} IN (SELECT m.resource_id FROM custom_metadata_entries m
     WHERE m.resource_type = ? AND m.workspace_id = ? AND m.key = ? AND m.value = ?)`,
  ];
  const params: SqliteValue[] = [resourceType, workspaceId, driver[0], JSON.stringify(driver[1])];
  for (const [key, value] of pairs) {
    if (key === driver[0]) continue;
    sql.push(
      `EXISTS (SELECT 1 FROM custom_metadata_entries m WHERE m.resource_type = ? AND m.resource_id = ${idColumn}
       AND m.key = ? AND m.value = ?)`,
    );
    params.push(resourceType, key, JSON.stringify(value));
  }
  return { sql, params };
}
