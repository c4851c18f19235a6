import type { SqliteDatabase, SqliteValue } from '../common/sqlite.js';
import type { CustomMetadataValue } from '../custom-metadata/custom-metadata.js';
import { drivingTerm, metadataTermCondition } from './custom-metadata-index.js';
import { metadataTerms, type MetadataTerm } from '../custom-metadata/custom-metadata-selector.js';
import type { ListedTable, ListFilter } from './list-filter.js';
import type { PageRequest } from './pagination.js';
import {
  creationsTable,
  encodedValueSql,
  entryVersionsTable,
  metadataVersionsTable,
  positionReachedSql,
  rowVersionsTable,
} from './row-history.js';
import { exactSearchPattern, searchTextSql, SHORT_SEARCH_WINDOW } from './search-index.js';

/** A piece of SQL with its parameters, in the order they appear in it. */
interface Sql {
  sql: string;
  params: SqliteValue[];
}

/**
 * The list query as of a moment (`filter.asOf`, epoch ms), read from the history the projections keep
 * (row-history.ts), as `listStatement` reads the live tables, and with the same rules:
 *
 * - with custom-metadata terms (and no `search`), the driving term's entry intervals valid at the moment,
 *   newest first by creation position, each resource's version then looked up by id and time: a page
 *   stops at its `limit`th match, however many match (an `in` merges one such read per value);
 * - otherwise, the workspace's row versions newest first, those valid at the moment kept;
 * - with `search`, the same read, bounded to SHORT_SEARCH_WINDOW versions a page (`windowEnd`), the text
 *   matched as it was then.
 *
 * A resource is listed when a version of its row was valid at the moment (created before it, not yet
 * deleted), with its columns and its metadata as they were then.
 */
export function listStatementAsOf(
  source: ListedTable,
  workspaceId: string,
  filter: ListFilter & { asOf: number },
  request: PageRequest,
  windowEnd: number | null,
): Sql {
  const terms = metadataTerms(filter.customMetadataHas, filter.customMetadataMatch);
  const driver = filter.search === undefined ? drivingTerm(terms) : undefined;
  const history = new HistoryAt(source, filter.asOf);
  const others = terms.filter((term) => term !== driver).map((term) => history.term(term));
  const conditions = join(' AND ', [
    sql('r.workspace_id = ?', workspaceId),
    ...(filter.matchesNothing ? [sql('0')] : []),
    // The caller's own conditions, their parameters in order.
    ...(filter.where?.length ? [sql(filter.where.join(' AND '), ...(filter.params ?? []))] : []),
    ...others,
  ]);
  const limit = request.limit + 1;
  if (driver) {
    const arms = (driver.values ?? [null]).map((value) =>
      history.drivenBy(workspaceId, driver.key, value, request, conditions),
    );
    const merged = join(' UNION ALL ', arms);
    return { sql: `${merged.sql} ORDER BY created_position DESC LIMIT ?`, params: [...merged.params, limit] };
  }
  const bounds: Sql[] = [
    history.createdBy('r', workspaceId, request.continueAfter),
    sql(`r.valid_from <= ? AND r.valid_to > ?`, filter.asOf, filter.asOf),
  ];
  if (filter.search !== undefined) {
    if (windowEnd !== null) bounds.push(sql('r.created_position >= ?', windowEnd));
    const text = searchTextSql(source, 'r', history.metadata.sql);
    bounds.push({
      sql: `(${text}) LIKE ? ESCAPE '\\'`,
      params: [...history.metadata.params, exactSearchPattern(filter.search)],
    });
  }
  const where = join(' AND ', [conditions, ...bounds]);
  const select = history.select('r.created_position');
  return {
    sql: `${select.sql} FROM ${rowVersionsTable(source.table)} r WHERE ${where.sql}
      ORDER BY r.created_position DESC LIMIT ?`,
    params: [...select.params, ...where.params, limit],
  };
}

/**
 * Where a page of a search as of a moment stops reading: the lowest creation position among the next
 * SHORT_SEARCH_WINDOW versions of the workspace's rows below `below` and created by the moment, or null
 * when fewer are left.
 */
export function asOfSearchWindowEnd(
  db: SqliteDatabase,
  source: ListedTable,
  workspaceId: string,
  asOf: number,
  below: number | null,
): number | null {
  const createdBy = new HistoryAt(source, asOf).createdBy('r', workspaceId, below);
  const sql = `SELECT count(*) AS n, min(created_position) AS lowest FROM (SELECT created_position
      FROM ${rowVersionsTable(source.table)} r WHERE r.workspace_id = ? AND ${createdBy.sql}
      ORDER BY created_position DESC LIMIT ?)`;
  const { n, lowest } = db.prepare(sql).get(workspaceId, ...createdBy.params, SHORT_SEARCH_WINDOW) as {
    n: number;
    lowest: number | null;
  };
  return n >= SHORT_SEARCH_WINDOW ? lowest : null;
}

/** The SQL of one table's history at one moment: on the alias `r` for the row version listed. */
class HistoryAt {
  private readonly entries: string;
  /**
   * The resource's metadata at the moment: its latest version begun by then (ties: the later one). Found by
   * the creation position, not the id: a page's candidates come in creation order, so their versions lie
   * side by side in the index, where ids would scatter each seek across it (BENCHMARKS.md).
   */
  readonly metadata: Sql;

  constructor(
    private readonly source: ListedTable,
    private readonly at: number,
  ) {
    this.entries = entryVersionsTable(source.resourceType);
    this.metadata = sql(
      `(SELECT mv.custom_metadata FROM ${metadataVersionsTable(source.resourceType)} mv
        WHERE mv.created_position = r.created_position AND mv.valid_from <= ? ORDER BY mv.valid_from DESC, mv.version_id DESC LIMIT 1)`,
      at,
    );
  }

  /**
   * The rows of `alias` whose resource was created by the moment, below the page cursor: one upper bound
   * of the index read, the highest creation position reached by then, so that a moment far back skips the
   * newer resources unread.
   */
  createdBy(alias: string, workspaceId: string, continueAfter: number | null): Sql {
    const reached = `(${positionReachedSql(creationsTable(this.source.table), '?', '?')})`;
    return continueAfter === null
      ? sql(`${alias}.created_position <= ${reached}`, workspaceId, this.at)
      : sql(`${alias}.created_position <= min(?, ${reached})`, continueAfter - 1, workspaceId, this.at);
  }

  select(position: string): Sql {
    return {
      sql: `SELECT ${this.source.columns}, ${this.metadata.sql} AS custom_metadata, ${position} AS created_position`,
      params: this.metadata.params,
    };
  }

  /**
   * `term` held for the resource at the moment: checked on its metadata then, one seek for its version, as
   * the live lists check it on the row (an interval of the key's entries would be found by reading every
   * earlier one of that resource and key).
   */
  term(term: MetadataTerm): Sql {
    const condition = metadataTermCondition(this.metadata.sql, term);
    return { sql: condition.sql, params: [...this.metadata.params, ...condition.params] };
  }

  /**
   * The resources whose entry of `key` (with `value`, unless null) was valid at the moment, newest first
   * from the entries' index, each joined to its row's version then (none: it did not exist then).
   */
  drivenBy(
    workspaceId: string,
    key: string,
    value: CustomMetadataValue | null,
    request: PageRequest,
    conditions: Sql,
  ): Sql {
    const rows = rowVersionsTable(this.source.table);
    const entry: Sql[] = [sql('e.workspace_id = ? AND e.key = ?', workspaceId, key)];
    if (value !== null) {
      const encoded = encodedValueSql(value);
      entry.push(sql(`e.value = ${encoded.sql}`, ...(encoded.param === null ? [] : [encoded.param])));
    }
    entry.push(
      this.createdBy('e', workspaceId, request.continueAfter),
      sql('e.valid_from <= ? AND e.valid_to > ?', this.at, this.at),
    );
    const select = this.select('e.created_position');
    const version = sql(
      `(SELECT v.version_id FROM ${rows} v WHERE v.created_position = e.created_position AND v.valid_from <= ?
        ORDER BY v.valid_from DESC, v.version_id DESC LIMIT 1)`,
      this.at,
    );
    const where = join(' AND ', [...entry, sql('r.valid_to > ?', this.at), conditions]);
    // CROSS JOIN: SQLite keeps the index as the outer loop, in its order.
    return {
      sql: `${select.sql} FROM ${this.entries} e CROSS JOIN ${rows} r ON r.version_id = ${version.sql} WHERE ${where.sql}`,
      params: [...select.params, ...version.params, ...where.params],
    };
  }
}

const sql = (text: string, ...params: SqliteValue[]): Sql => ({ sql: text, params });

function join(separator: string, parts: readonly Sql[]): Sql {
  return { sql: parts.map((p) => p.sql).join(separator), params: parts.flatMap((p) => p.params) };
}
