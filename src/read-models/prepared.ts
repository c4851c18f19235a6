import type { SqliteDatabase, SqliteStatement } from '../common/sqlite.js';

const cache = new WeakMap<SqliteDatabase, Map<string, SqliteStatement>>();

/** A statement prepared once per connection: projections run it for every event of a replay. */
export function prepared(db: SqliteDatabase, sql: string): SqliteStatement {
  let statements = cache.get(db);
  if (!statements) {
    statements = new Map();
    cache.set(db, statements);
  }
  let statement = statements.get(sql);
  if (!statement) {
    statement = db.prepare(sql);
    statements.set(sql, statement);
  }
  return statement;
}
