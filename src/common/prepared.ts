import { LRUCache } from 'lru-cache';
import type { SqliteDatabase, SqliteStatement } from '../common/sqlite.js';

/**
 * How many statements each connection keeps, least recently used out: a guard, since only fixed SQL (the
 * projections', the event store's stream reads: a few dozen) should come here. SQL whose shape follows a caller's filters is prepared per
 * call with `db.prepare`: a statement's native memory is invisible to V8, so a cached one that outlived
 * its use waits for a full garbage collection, while a per-call one dies young and goes at the next scavenge.
 */
export const PREPARED_STATEMENTS_PER_CONNECTION = 200;

const cache = new WeakMap<SqliteDatabase, LRUCache<string, SqliteStatement>>();

/** A statement prepared once per connection (while it stays among the most recently used). */
export function prepared(db: SqliteDatabase, sql: string): SqliteStatement {
  let statements = cache.get(db);
  if (!statements) {
    statements = new LRUCache({ max: PREPARED_STATEMENTS_PER_CONNECTION });
    cache.set(db, statements);
  }
  let statement = statements.get(sql);
  if (!statement) {
    statement = db.prepare(sql);
    statements.set(sql, statement);
  }
  return statement;
}
