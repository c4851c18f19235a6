import type { SqliteDatabase, SqliteValue } from '../common/sqlite.js';
import type { CustomMetadata } from '../custom-metadata/custom-metadata.js';
import type { MetadataResourceType } from '../custom-metadata/metadata-set.js';
import { customMetadataHasCondition } from './custom-metadata-index.js';
import { page, type PageRequest, type Pagination } from './pagination.js';

/** A resource table listed by the API: `workspace_id`, `created_position` and the id column it is keyed by. */
export interface ListedTable {
  table: string;
  idColumn: string;
  resourceType: MetadataResourceType;
  /** Columns to return besides `created_position`, read through the alias `r`. */
  columns: string;
  /** What `search` matches part of (SQL on the alias `r`), besides the resource's custom-metadata values. */
  searchable: readonly string[];
}

/** What every list route filters by; `where` and `params` are the resource's own conditions, on the alias `r`. */
export interface ListFilter {
  customMetadataHas?: CustomMetadata;
  /** Seam's `search`: a partial match of the table's `searchable` fields or of a custom-metadata value. */
  search?: string;
  where?: string[];
  params?: SqliteValue[];
}

/**
 * One page of a workspace's resources, newest first: `custom_metadata_has`, `search`, the caller's own
 * conditions, keyset pagination. The one list query every resource's list route uses.
 */
export function listNewestFirst<Row extends { created_position: number }>(
  db: SqliteDatabase,
  source: ListedTable,
  workspaceId: string,
  filter: ListFilter,
  request: PageRequest,
  nextPageUrl: (cursor: string) => string,
): { items: Row[]; pagination: Pagination } {
  const { sql, params } = listStatement(source, workspaceId, filter, request);
  // Not cached (see prepared.ts): the statement's shape follows the caller's filters.
  const rows = db.prepare(sql).all(...params) as unknown as Row[];
  return page(rows, request, (row) => row.created_position, nextPageUrl);
}

/** The list query itself, for `listNewestFirst` and for the test that checks its query plan. */
export function listStatement(
  source: ListedTable,
  workspaceId: string,
  filter: ListFilter,
  request: PageRequest,
): { sql: string; params: SqliteValue[] } {
  const has = customMetadataHasCondition(
    source.resourceType,
    `r.${source.idColumn}`,
    workspaceId,
    filter.customMetadataHas,
  );
  // With `custom_metadata_has`, the unary + keeps SQLite off the workspace index: it then starts from the
  // metadata index and looks the matches up by id, and sorts only them, instead of walking the workspace.
  const followMatches = has.sql.length > 0 ? '+' : '';
  const where = [`${followMatches}r.workspace_id = ?`, ...(filter.where ?? []), ...has.sql];
  const params: SqliteValue[] = [workspaceId, ...(filter.params ?? []), ...has.params];
  if (filter.search !== undefined) {
    const pattern = `%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const matches = source.searchable.map((column) => `${column} LIKE ? ESCAPE '\\'`);
    where.push(
      `(${matches.join(' OR ')} OR EXISTS (SELECT 1 FROM custom_metadata_entries m WHERE m.resource_type = ?
        AND m.resource_id = r.${source.idColumn} AND m.value LIKE ? ESCAPE '\\'))`,
    );
    params.push(...source.searchable.map(() => pattern), source.resourceType, pattern);
  }
  if (request.continueAfter !== null) {
    where.push(`${followMatches}r.created_position < ?`);
    params.push(request.continueAfter);
  }
  const sql = `SELECT ${source.columns}, r.created_position FROM ${source.table} r WHERE ${where.join(' AND ')}
     ORDER BY r.created_position DESC LIMIT ?`;
  return { sql, params: [...params, request.limit + 1] };
}
