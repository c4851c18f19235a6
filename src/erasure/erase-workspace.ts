import type { Actor } from '../common/actor.js';
import type { DataKeys } from '../encryption/data-keys.js';
import type { EventStore } from '../event-store/event-store.js';
import { handleCommand, loadState } from '../event-store/handle-command.js';
import { streams } from '../event-store/streams.js';
import { workspaceDecider } from '../workspaces/index.js';
import { NotFound } from '../common/domain-errors.js';

/**
 * The operator's offboarding of a workspace (`npm run cli -- workspace erase`): records WorkspaceErased (in
 * clear: an id and a time), then destroys every key of the workspace. Every event it ever wrote then reads
 * as erased, its API keys stop working, and each instance's projections drop its rows on that event.
 * Running it again finishes an interrupted erasure.
 */
export async function eraseWorkspace(
  store: EventStore,
  keys: DataKeys | undefined,
  command: { workspaceId: string; actor: Actor; now: string },
): Promise<{ position: number; erasedAt: string; keysDestroyed: number }> {
  if (!keys) throw new Error('Erasure needs encryption (EVENT_ENCRYPTION=on): a log in clear cannot be erased');
  const stream = streams.workspace(command.workspaceId);
  const before = await loadState(store, stream, workspaceDecider);
  if (!before.exists && !before.erasedAt) throw new NotFound('workspace', 'workspace_id', command.workspaceId);
  const { position } = await handleCommand(store, stream, workspaceDecider, {
    type: 'EraseWorkspace',
    workspaceId: command.workspaceId,
    actor: command.actor,
    now: command.now,
  });
  const erasedAt = before.erasedAt ?? command.now;
  const destroyed = await keys.erase({ workspaceId: command.workspaceId }, erasedAt);
  return { position, erasedAt, keysDestroyed: destroyed.length };
}
