import type { Actor } from '../common/actor.js';
import type { DataKeys } from '../encryption/data-keys.js';
import type { DeciderCommandHandler } from '../event-store/decider-command-handler.js';
import { streams } from '../event-store/streams.js';
import { workspaceDecider } from '../workspaces/index.js';
import { NotFound } from '../common/domain-errors.js';

export interface EraseWorkspace {
  workspaceId: string;
  actor: Actor;
  now: string;
}

/**
 * The operator's offboarding of a workspace (`npm run cli -- workspace erase`): records WorkspaceErased (in
 * clear: an id and a time), then destroys every key of the workspace. Every event it ever wrote then reads
 * as erased, its API keys stop working, and each instance's projections drop its rows on that event.
 * Running it again finishes an interrupted erasure.
 */
export async function eraseWorkspace(
  commands: DeciderCommandHandler,
  keys: DataKeys | undefined,
  command: EraseWorkspace,
): Promise<{ position: number; erasedAt: string; keysDestroyed: number }> {
  if (!keys) throw new Error('Erasure needs encryption (EVENT_ENCRYPTION=on): a log in clear cannot be erased');
  const workspace = { decider: workspaceDecider, streamId: streams.workspace(command.workspaceId) };
  const before = await commands.state(workspace);
  if (!before.exists && !before.erasedAt) throw new NotFound('workspace', 'workspace_id', command.workspaceId);
  const { position } = await commands.handle(workspace, {
    type: 'EraseWorkspace',
    workspaceId: command.workspaceId,
    actor: command.actor,
    now: command.now,
  });
  const erasedAt = before.erasedAt ?? command.now;
  const destroyed = await keys.erase({ workspaceId: command.workspaceId }, erasedAt);
  return { position, erasedAt, keysDestroyed: destroyed.length };
}
