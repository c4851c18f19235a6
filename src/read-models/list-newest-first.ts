import type { SqliteDatabase, SqliteValue } from '../common/sqlite.js';
import type { CustomMetadataValue } from '../custom-metadata/custom-metadata.js';
import { drivingTerm, metadataEntriesTable, metadataTermCondition } from './custom-metadata-index.js';
import { metadataTerms, type MetadataTerm } from '../custom-metadata/custom-metadata-selector.js';
import { asOfSearchWindowEnd, listStatementAsOf } from './list-as-of.js';
import type { ListedTable, ListFilter } from './list-filter.js';
import { continuingBelow, page, type PageRequest, type Pagination } from './pagination.js';
import {
  exactSearchPattern,
  searchIndexTable,
  searchTextTable,
  shortSearchWindowEnd,
  usesTrigrams,
} from './search-index.js';

export type { ListedTable, ListFilter } from './list-filter.js';

/**
 * One page of a workspace's resources, newest first: `custom_metadata_has` and `custom_metadata_match`, `search`, the caller's own
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
  const windowEnd = searchWindowEnd(db, source, workspaceId, filter, request);
  const { sql, params } = listStatement(source, workspaceId, filter, request, windowEnd);
  // Not cached (see prepared.ts): the statement's shape follows the caller's filters.
  const rows = db.prepare(sql).all(...params) as unknown as Row[];
  const result = page(rows, request, (row) => row.created_position, nextPageUrl);
  // A short search that filled no page within its window goes on below it, on the next page.
  if (!result.pagination.has_next_page && windowEnd !== null)
    return { items: result.items, pagination: continuingBelow(windowEnd, request, nextPageUrl) };
  return result;
}

/** Where a page of a search that cannot use trigrams stops reading (null: at the end, or no search). */
function searchWindowEnd(
  db: SqliteDatabase,
  source: ListedTable,
  workspaceId: string,
  filter: ListFilter,
  request: PageRequest,
): number | null {
  if (filter.search === undefined) return null;
  if (filter.asOf !== undefined)
    return asOfSearchWindowEnd(db, source, workspaceId, filter.asOf, request.continueAfter);
  if (usesTrigrams(filter.search)) return null;
  return shortSearchWindowEnd(db, workspaceId, source.resourceType, request.continueAfter);
}

/** The list query itself, for `listNewestFirst` and for the test that checks its query plan. */
export function listStatement(
  source: ListedTable,
  workspaceId: string,
  filter: ListFilter,
  request: PageRequest,
  /** Where a short search's page stops reading (`shortSearchWindowEnd`); null: at the end. */
  windowEnd?: number | null,
): { sql: string; params: SqliteValue[] } {
  if (filter.asOf !== undefined)
    return listStatementAsOf(source, workspaceId, { ...filter, asOf: filter.asOf }, request, windowEnd ?? null);
  const terms = metadataTerms(filter.customMetadataHas, filter.customMetadataMatch);
  const driver = filter.search === undefined ? drivingTerm(terms) : undefined;
  if (driver) return metadataDrivenStatement(source, workspaceId, filter, terms, driver, request);
  const checked = termConditions(source, terms);
  const where = [
    'r.workspace_id = ?',
    ...(filter.matchesNothing ? ['0'] : []),
    ...(filter.where ?? []),
    ...checked.sql,
  ];
  const params: SqliteValue[] = [workspaceId, ...(filter.params ?? []), ...checked.params];
  if (filter.search !== undefined)
    return searchStatement(source, workspaceId, filter.search, where, params, request, windowEnd ?? null);
  // Only negated terms, or none: the workspace's own index, newest first, each term checked on the way.
  if (request.continueAfter !== null) {
    where.push('r.created_position < ?');
    params.push(request.continueAfter);
  }
  const sql = `SELECT ${source.columns}, r.custom_metadata, r.created_position FROM ${source.table} r WHERE ${where.join(' AND ')}
     ORDER BY r.created_position DESC LIMIT ?`;
  return { sql, params: [...params, request.limit + 1] };
}

function termConditions(source: ListedTable, terms: readonly MetadataTerm[]): { sql: string[]; params: SqliteValue[] } {
  const conditions = terms.map((term) => metadataTermCondition('r.custom_metadata', term));
  return { sql: conditions.map((c) => c.sql), params: conditions.flatMap((c) => c.params) };
}

/**
 * With custom-metadata terms (and no `search`), the page is read from the metadata index in page order: the
 * driving term's entries (`drivingTerm`), newest first by their resource's creation position, each looked up
 * by its table's key (`resourceRows`) and kept if the other terms and filters hold. A page of 100 stops at its
 * 100th match, however many resources match: nothing is sorted. An `in` reads each of its values' entries
 * so, and merges them (SQLite's MERGE of a compound select): a page reads at most a page per value.
 */
function metadataDrivenStatement(
  source: ListedTable,
  workspaceId: string,
  filter: ListFilter,
  terms: readonly MetadataTerm[],
  driver: MetadataTerm,
  request: PageRequest,
): { sql: string; params: SqliteValue[] } {
  const others = termConditions(
    source,
    terms.filter((term) => term !== driver),
  );
  const arm = (value: CustomMetadataValue | null) => {
    const entries = ['m.resource_type = ?', 'm.workspace_id = ?', 'm.key = ?'];
    const params: SqliteValue[] = [source.resourceType, workspaceId, driver.key];
    if (value !== null) {
      entries.push('m.value = ?');
      params.push(JSON.stringify(value));
    }
    if (request.continueAfter !== null) {
      entries.push('m.created_position < ?');
      params.push(request.continueAfter);
    }
    const where = [
      ...entries,
      'r.workspace_id = ?',
      ...(filter.matchesNothing ? ['0'] : []),
      ...(filter.where ?? []),
      ...others.sql,
    ];
    params.push(workspaceId, ...(filter.params ?? []), ...others.params);
    // CROSS JOIN: SQLite keeps the index as the outer loop, in its order.
    const sql = `SELECT ${source.columns}, r.custom_metadata, m.created_position AS created_position
       FROM ${metadataEntriesTable(source.resourceType)} m CROSS JOIN ${resourceRows(source)}
         ON ${source.keyedByPosition ? 'r.created_position = m.created_position' : `r.${source.idColumn} = m.resource_id`}
       WHERE ${where.join(' AND ')}`;
    return { sql, params };
  };
  const arms = (driver.values ?? [null]).map(arm);
  const sql = `${arms.map((a) => a.sql).join(' UNION ALL ')} ORDER BY created_position DESC LIMIT ?`;
  return { sql, params: [...arms.flatMap((a) => a.params), request.limit + 1] };
}

/**
 * The resource table, aliased `r`, as an index's matches look their rows up. A table keyed by its creation
 * position (`ListedTable.keyedByPosition`) finds each by its rowid, one seek: NOT INDEXED, so that the planner
 * never takes the workspace's index `(workspace_id, created_position)` for the same equality instead, a seek
 * there and a second in the table. Any other finds it by its id, or by that index.
 */
function resourceRows(source: ListedTable): string {
  return source.keyedByPosition ? `${source.table} r NOT INDEXED` : `${source.table} r`;
}

/**
 * With `search`, the page is read from the search index, newest first (keyed by creation position), each
 * match looked up in the resource table and kept if the other filters hold: a page of a broad search stops
 * at its `limit`, never reading every match. Three characters or more find the matches through the trigram
 * index; FTS5 takes LIKE to it only without ESCAPE, so the pattern finds a superset (its `_` and `%` match
 * anything) and a LIKE with ESCAPE on the search text keeps the exact matches among them. Fewer characters read the
 * workspace's own rows of the search text down to `windowEnd` (SHORT_SEARCH_WINDOW of them), and the page ends
 * there.
 */
function searchStatement(
  source: ListedTable,
  workspaceId: string,
  search: string,
  where: string[],
  params: SqliteValue[],
  request: PageRequest,
  windowEnd: number | null,
): { sql: string; params: SqliteValue[] } {
  const below = request.continueAfter ?? Number.MAX_SAFE_INTEGER;
  const searchText = searchTextTable(source.resourceType);
  // The exact match, as Seam's: case-insensitive (ASCII), the search's own `%`, `_` and `\\` taken literally.
  const exact = `s.text LIKE ? ESCAPE '\\'`;
  const pattern = exactSearchPattern(search);
  // CROSS JOIN: SQLite keeps the index as the outer loop, in its order.
  const join = `CROSS JOIN ${resourceRows(source)} ON r.workspace_id = s.workspace_id AND r.created_position = s.position`;
  // Ordered by the outer table's own key, so that no sort is needed: the index's rowid, or the search text's position.
  const tail = (key: string) => `${where.length > 0 ? ` AND ${where.join(' AND ')}` : ''} ORDER BY ${key} DESC LIMIT ?`;
  if (usesTrigrams(search)) {
    const sql = `SELECT ${source.columns}, r.custom_metadata, r.created_position FROM ${searchIndexTable(source.resourceType)} f
       CROSS JOIN ${searchText} s ON s.position = f.rowid ${join}
       WHERE f.text LIKE ? AND f.rowid < ? AND s.workspace_id = ? AND s.resource_type = ? AND ${exact}${tail('f.rowid')}`;
    return {
      sql,
      params: [`%${search}%`, below, workspaceId, source.resourceType, pattern, ...params, request.limit + 1],
    };
  }
  const sql = `SELECT ${source.columns}, r.custom_metadata, r.created_position FROM ${searchText} s ${join}
     WHERE s.workspace_id = ? AND s.resource_type = ? AND s.position < ? AND s.position >= ? AND ${exact}${tail('s.position')}`;
  return {
    sql,
    params: [workspaceId, source.resourceType, below, windowEnd ?? 0, pattern, ...params, request.limit + 1],
  };
}
