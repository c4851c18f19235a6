import { prepared } from '../common/prepared.js';
import type { SqliteDatabase } from '../common/sqlite.js';

/**
 * Every read-model row of a workspace, from every table that has a `workspace_id` column: what an erased
 * workspace leaves behind, whichever feature's table it is. Every projection keys its rows by workspace, so
 * a table added later is covered without a line here. (The search index's triggers follow the deletes.)
 */
export function eraseWorkspaceRows(db: SqliteDatabase, workspaceId: string): void {
  const tables = db
    .prepare(
      `SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) c
       WHERE m.type = 'table' AND c.name = 'workspace_id' ORDER BY m.name`,
    )
    .all() as { name: string }[];
  for (const { name } of tables) prepared(db, `DELETE FROM "${name}" WHERE workspace_id = ?`).run(workspaceId);
}
