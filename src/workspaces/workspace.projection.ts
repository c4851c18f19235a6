import type { SqliteDatabase } from '../common/sqlite.js';
import { prepared } from '../common/prepared.js';
import { sqliteProjection } from '../read-models/projection.js';
import type { WorkspaceEvent } from './workspace.js';

export interface ApiKeyRow {
  api_key_id: string;
  workspace_id: string;
  is_sandbox: number;
}

export const workspaceReadModel = sqliteProjection<WorkspaceEvent>({
  name: 'workspaces',
  version: 2,
  handles: ['WorkspaceCreated', 'ApiKeyIssued', 'ApiKeyRevoked'],
  init: (db) =>
    db.exec(`
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
      created_at   TEXT NOT NULL,
      revoked_at   TEXT
    );
  `),

  apply(db, event) {
    switch (event.type) {
      case 'WorkspaceCreated':
        prepared(
          db,
          `INSERT OR REPLACE INTO workspaces (workspace_id, name, is_sandbox, created_at) VALUES (?, ?, ?, ?)`,
        ).run(event.data.workspace_id, event.data.name, event.data.is_sandbox ? 1 : 0, event.data.created_at);
        break;
      case 'ApiKeyIssued':
        prepared(
          db,
          `INSERT OR REPLACE INTO api_keys (api_key_id, workspace_id, key_hash, short_token, created_at)
           VALUES (?, ?, ?, ?, ?)`,
        ).run(
          event.data.api_key_id,
          event.data.workspace_id,
          event.data.key_hash,
          event.data.short_token,
          event.data.created_at,
        );
        break;
      case 'ApiKeyRevoked':
        prepared(db, 'UPDATE api_keys SET revoked_at = ? WHERE api_key_id = ?').run(
          event.data.revoked_at,
          event.data.api_key_id,
        );
        break;
    }
  },
});

/** The caller behind an API key hash, or undefined (unknown or revoked): what the auth guard asks. */
export function findApiKey(db: SqliteDatabase, keyHash: string): ApiKeyRow | undefined {
  return prepared(
    db,
    `SELECT k.api_key_id, k.workspace_id, w.is_sandbox FROM api_keys k
     JOIN workspaces w ON w.workspace_id = k.workspace_id WHERE k.key_hash = ? AND k.revoked_at IS NULL`,
  ).get(keyHash) as ApiKeyRow | undefined;
}

/** Whether a key is known and not revoked: what an open event stream re-checks as it goes. */
export function isApiKeyActive(db: SqliteDatabase, apiKeyId: string): boolean {
  return prepared(db, 'SELECT 1 FROM api_keys WHERE api_key_id = ? AND revoked_at IS NULL').get(apiKeyId) !== undefined;
}

export function isSandboxWorkspace(db: SqliteDatabase, workspaceId: string): boolean {
  const row = prepared(db, 'SELECT is_sandbox FROM workspaces WHERE workspace_id = ?').get(workspaceId) as
    { is_sandbox: number } | undefined;
  return row?.is_sandbox === 1;
}

/** The workspace a key belongs to (revoked or not): how the CLI finds a key's stream from its id alone. */
export function findApiKeyWorkspace(db: SqliteDatabase, apiKeyId: string): string | undefined {
  const row = prepared(db, 'SELECT workspace_id FROM api_keys WHERE api_key_id = ?').get(apiKeyId) as
    { workspace_id: string } | undefined;
  return row?.workspace_id;
}
