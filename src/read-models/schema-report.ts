import { prepared } from '../common/prepared.js';
import type { SqliteDatabase } from '../common/sqlite.js';
import type { CustomMetadata } from '../custom-metadata/custom-metadata.js';
import {
  schemaViolations,
  type CustomMetadataSchema,
  type SchemaViolation,
} from '../custom-metadata/metadata-schema.js';
import type { MetadataResourceType } from '../custom-metadata/metadata-set.js';
import type { ListedTable } from './list-filter.js';
import { continuingBelow, page, type PageRequest, type Pagination } from './pagination.js';

/** A resource whose current metadata breaks its workspace's schema, and how. */
export interface NoncompliantResource {
  resource_type: MetadataResourceType;
  resource_id: string;
  custom_metadata: CustomMetadata;
  violations: SchemaViolation[];
}

/**
 * How many rows one page of the report reads at most: a page stops there, full or not, and says where the
 * next one goes on, so that no request reads a whole workspace however few of its resources break the rules.
 */
export const REPORT_SCAN_WINDOW = 5_000;

/**
 * One page of the compliance report: the workspace's resources newest first (as the lists), each checked
 * against `schema` (the rules are metadata-schema.ts's), those that break it listed with why. It reads
 * the rows themselves, in page order from the workspace index, within REPORT_SCAN_WINDOW rows a page.
 */
export function metadataSchemaReport(
  db: SqliteDatabase,
  source: ListedTable,
  workspaceId: string,
  schema: CustomMetadataSchema | null,
  request: PageRequest,
  nextPageUrl: (cursor: string) => string,
): { items: NoncompliantResource[]; pagination: Pagination } {
  const none = { next_page_cursor: null, has_next_page: false, next_page_url: null };
  if (!schema) return { items: [], pagination: none };
  const rows = prepared(
    db,
    `SELECT r.created_position, r.${source.idColumn} AS id, r.custom_metadata FROM ${source.table} r
     WHERE r.workspace_id = ? AND r.created_position < ? ORDER BY r.created_position DESC LIMIT ?`,
  ).all(workspaceId, request.continueAfter ?? Number.MAX_SAFE_INTEGER, REPORT_SCAN_WINDOW) as {
    created_position: number;
    id: string;
    custom_metadata: string;
  }[];
  const found: (NoncompliantResource & { position: number })[] = [];
  for (const row of rows) {
    const metadata = JSON.parse(row.custom_metadata) as CustomMetadata;
    const violations = schemaViolations(metadata, schema);
    if (violations.length === 0) continue;
    found.push({
      position: row.created_position,
      resource_type: source.resourceType,
      resource_id: row.id,
      custom_metadata: metadata,
      violations,
    });
    if (found.length > request.limit) break;
  }
  const strip = ({ position: _position, ...item }: NoncompliantResource & { position: number }) => item;
  if (found.length <= request.limit && rows.length === REPORT_SCAN_WINDOW) {
    // The window ended before the page filled: the next page reads on below it.
    return {
      items: found.map(strip),
      pagination: continuingBelow(rows.at(-1)!.created_position, request, nextPageUrl),
    };
  }
  const result = page(found, request, (item) => item.position, nextPageUrl);
  return { items: result.items.map(strip), pagination: result.pagination };
}
