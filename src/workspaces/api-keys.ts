import type { EventStore } from '../event-store/event-store.js';
import { streams } from '../event-store/streams.js';
import { NotFound } from '../common/domain-errors.js';
import type { ApiKeyUsage } from './api-key-usage.js';
import type { WorkspaceEvent } from './workspace.js';

/** A key as handed to its owner: the only time the secret is ever seen. */
export interface IssuedApiKey {
  workspace_id: string;
  api_key_id: string;
  api_key: string;
  /** Log position of the write, for read-your-writes. */
  position: number;
}

export interface RevokedApiKey {
  workspace_id: string;
  api_key_id: string;
  revoked: true;
  position: number;
}

/** What may be shown of a key after it was issued: never its secret, nor its hash. */
export interface ApiKeySummary {
  api_key_id: string;
  short_token: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** A workspace's keys, oldest first, read from its stream in the log. */
export async function listApiKeys(
  store: EventStore,
  workspaceId: string,
  usage: ApiKeyUsage,
): Promise<ApiKeySummary[]> {
  const events = await store.readStream(streams.workspace(workspaceId));
  if (events.length === 0) throw new NotFound('workspace', 'workspace_id', workspaceId);
  const keys = new Map<string, ApiKeySummary>();
  for (const event of events as unknown as WorkspaceEvent[]) {
    if (event.type === 'ApiKeyIssued') {
      const { api_key_id, short_token, created_at } = event.data;
      keys.set(api_key_id, { api_key_id, short_token, created_at, last_used_at: null, revoked_at: null });
    } else if (event.type === 'ApiKeyRevoked') {
      const key = keys.get(event.data.api_key_id);
      if (key) key.revoked_at = event.data.revoked_at;
    }
  }
  return Promise.all(
    [...keys.values()].map(async (key) => ({ ...key, last_used_at: await usage.lastUsedAt(key.api_key_id) })),
  );
}
