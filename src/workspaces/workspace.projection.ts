import type Database from 'better-sqlite3';
import { prepared } from '../read-models/prepared.js';
import type { RecordedEvent } from '../event-store/event-store.js';
import type { Projection } from '../read-models/projector.js';
import type { WorkspaceEvent } from './workspace.js';

export interface ApiKeyRow {
  api_key_id: string;
  workspace_id: string;
  is_sandbox: number;
}

export const workspaceProjection: Projection = {
  ddl: `
    CREATE TABLE IF NOT EXISTS workspaces (
      workspace_id TEXT PRIMARY KEY,
      name         TEXT NOT NULL,
      is_sandbox   INTEGER NOT NULL,
      created_at   TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS api_keys (
      api_key_id   TEXT PRIMARY KEY,
      workspace_id TEXT NOT NULL,
      key_hash     TEXT NOT NULL UNIQUE,
      short_token  TEXT NOT NULL,
      created_at   TEXT NOT NULL
    );
  `,

  apply(recorded: RecordedEvent, db: Database.Database) {
    const event = recorded as unknown as WorkspaceEvent;
    switch (event.type) {
      case 'WorkspaceCreated':
        prepared(db, 
          `INSERT OR REPLACE INTO workspaces (workspace_id, name, is_sandbox, created_at)
           VALUES (@workspace_id, @name, @is_sandbox, @created_at)`,
        ).run({ ...event.data, is_sandbox: event.data.is_sandbox ? 1 : 0 });
        break;
      case 'ApiKeyIssued':
        prepared(db, 
          `INSERT OR REPLACE INTO api_keys (api_key_id, workspace_id, key_hash, short_token, created_at)
           VALUES (@api_key_id, @workspace_id, @key_hash, @short_token, @created_at)`,
        ).run(event.data);
        break;
    }
  },
};

/** The caller behind an API key hash, or undefined: what the auth guard asks. */
export function findApiKey(db: Database.Database, keyHash: string): ApiKeyRow | undefined {
  return db
    .prepare(
      `SELECT k.api_key_id, k.workspace_id, w.is_sandbox FROM api_keys k
       JOIN workspaces w ON w.workspace_id = k.workspace_id WHERE k.key_hash = ?`,
    )
    .get(keyHash) as ApiKeyRow | undefined;
}

export function isSandboxWorkspace(db: Database.Database, workspaceId: string): boolean {
  const row = prepared(db, 'SELECT is_sandbox FROM workspaces WHERE workspace_id = ?').get(workspaceId) as { is_sandbox: number } | undefined;
  return row?.is_sandbox === 1;
}
