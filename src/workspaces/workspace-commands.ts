import { randomUUID } from 'node:crypto';
import type { Actor } from '../common/actor.js';
import { handleCommand } from '../event-store/handle-command.js';
import type { EventStore } from '../event-store/event-store.js';
import { streams } from '../event-store/streams.js';
import { generateApiKey } from './api-key.js';
import { workspaceDecider } from './workspace.js';

/** A key as handed to its owner: the only time the secret is ever seen. */
export interface IssuedApiKey {
  workspace_id: string;
  api_key_id: string;
  api_key: string;
  /** Log position of the write, for read-your-writes. */
  position: number;
}

export async function createWorkspace(
  store: EventStore,
  input: { name: string; isSandbox: boolean; actor: Actor },
): Promise<IssuedApiKey> {
  const workspaceId = randomUUID();
  const key = generateApiKey(randomUUID());
  const { position } = await handleCommand(store, streams.workspace(workspaceId), workspaceDecider, {
    type: 'CreateWorkspace',
    workspaceId,
    name: input.name,
    isSandbox: input.isSandbox,
    firstKey: key,
    actor: input.actor,
    now: new Date().toISOString(),
  });
  return { workspace_id: workspaceId, api_key_id: key.apiKeyId, api_key: key.token, position };
}

export async function issueApiKey(
  store: EventStore,
  input: { workspaceId: string; actor: Actor },
): Promise<IssuedApiKey> {
  const key = generateApiKey(randomUUID());
  const { position } = await handleCommand(store, streams.workspace(input.workspaceId), workspaceDecider, {
    type: 'IssueApiKey',
    workspaceId: input.workspaceId,
    key,
    actor: input.actor,
    now: new Date().toISOString(),
  });
  return { workspace_id: input.workspaceId, api_key_id: key.apiKeyId, api_key: key.token, position };
}
