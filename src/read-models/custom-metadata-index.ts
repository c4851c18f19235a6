import type { SqliteDatabase, SqliteValue } from '../common/sqlite.js';
import { prepared } from './prepared.js';
import type { CustomMetadata } from '../custom-metadata/custom-metadata.js';
import type { MetadataResourceType } from '../custom-metadata/metadata-set.js';

/**
 * One row per (resource, key) with the value JSON-encoded, so `custom_metadata_has` is an indexed lookup
 * and `true` never equals `"true"`. Every resource's projection keeps it with `indexCustomMetadata`.
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
  CREATE INDEX IF NOT EXISTS custom_metadata_lookup
    ON custom_metadata_entries (resource_type, workspace_id, key, value);
`;

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

/** SQL conditions (and their parameters) keeping only resources whose metadata holds every pair of `filter`. */
export function customMetadataHasCondition(
  resourceType: MetadataResourceType,
  idColumn: string,
  filter: CustomMetadata | undefined,
): { sql: string[]; params: SqliteValue[] } {
  const sql: string[] = [];
  const params: SqliteValue[] = [];
  for (const [key, value] of Object.entries(filter ?? {})) {
    sql.push(
      `EXISTS (SELECT 1 FROM custom_metadata_entries m WHERE m.resource_type = ? AND m.resource_id = ${idColumn}
       AND m.key = ? AND m.value = ?)`,
    );
    params.push(resourceType, key, JSON.stringify(value));
  }
  return { sql, params };
}
