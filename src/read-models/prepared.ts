import type { SqliteDatabase, SqliteStatement } from '../common/sqlite.js';

/**
 * How many statements each connection keeps. The projections' and routes' fixed SQL is a few dozen; list
 * queries vary with their filters (ids, `custom_metadata_has` keys), so the rest is evicted least recently
 * used and no caller can grow memory by varying a query's shape.
 */
export const PREPARED_STATEMENTS_PER_CONNECTION = 200;

const cache = new WeakMap<SqliteDatabase, Map<string, SqliteStatement>>();

/** A statement prepared once per connection (while it stays among the most recently used). */
export function prepared(db: SqliteDatabase, sql: string): SqliteStatement {
  let statements = cache.get(db);
  if (!statements) {
    statements = new Map();
    cache.set(db, statements);
  }
  let statement = statements.get(sql);
  if (statement) {
    statements.delete(sql); // re-inserted below: a Map iterates in insertion order, oldest first
  } else {
    statement = db.prepare(sql);
    if (statements.size >= PREPARED_STATEMENTS_PER_CONNECTION) {
      statements.delete(statements.keys().next().value as string);
    }
  }
  statements.set(sql, statement);
  return statement;
}
