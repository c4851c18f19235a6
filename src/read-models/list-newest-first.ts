import type { SqliteDatabase, SqliteValue } from '../common/sqlite.js';
import type { CustomMetadata } from '../custom-metadata/custom-metadata.js';
import type { MetadataResourceType } from '../custom-metadata/metadata-set.js';
import { customMetadataHasCondition } from './custom-metadata-index.js';
import { page, type PageRequest, type Pagination } from './pagination.js';
import { prepared } from './prepared.js';

/** A resource table listed by the API: `workspace_id`, `created_position` and the id column it is keyed by. */
export interface ListedTable {
  table: string;
  idColumn: string;
  resourceType: MetadataResourceType;
  /** Columns to return besides `created_position`, read through the alias `r`. */
  columns: string;
}

/**
 * One page of a workspace's resources, newest first: `custom_metadata_has`, the caller's own conditions
 * (on the alias `r`), keyset pagination. The one list query every resource's list route uses.
 */
export function listNewestFirst<Row extends { created_position: number }>(
  db: SqliteDatabase,
  source: ListedTable,
  workspaceId: string,
  filter: { customMetadataHas?: CustomMetadata; where?: string[]; params?: SqliteValue[] },
  request: PageRequest,
  nextPageUrl: (cursor: string) => string,
): { items: Row[]; pagination: Pagination } {
  const has = customMetadataHasCondition(source.resourceType, `r.${source.idColumn}`, filter.customMetadataHas);
  const where = ['r.workspace_id = ?', ...(filter.where ?? []), ...has.sql];
  const params: SqliteValue[] = [workspaceId, ...(filter.params ?? []), ...has.params];
  if (request.continueAfter !== null) {
    where.push('r.created_position < ?');
    params.push(request.continueAfter);
  }
  const rows = prepared(
    db,
    `SELECT ${source.columns}, r.created_position FROM ${source.table} r WHERE ${where.join(' AND ')}
     ORDER BY r.created_position DESC LIMIT ?`,
  ).all(...params, request.limit + 1) as unknown as Row[];
  return page(rows, request, (row) => row.created_position, nextPageUrl);
}
