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
