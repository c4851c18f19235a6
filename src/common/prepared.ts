import type { SqliteDatabase, SqliteStatement } from '../common/sqlite.js';

/**
 * A statement prepared once per connection (while it stays among the most recently used). Only fixed SQL
 * comes here. SQL whose shape follows a caller's filters is prepared per call with `db.prepare`: a
 * statement's native memory is invisible to V8, so a cached one that outlived its use waits for a full
 * garbage collection, while a per-call one dies young and goes at the next scavenge.
 */
export function prepared(db: SqliteDatabase, sql: string): SqliteStatement {
  let statement = db.statements.get(sql);
  if (!statement) {
    statement = db.prepare(sql);
    db.statements.set(sql, statement);
  }
  return statement;
}
