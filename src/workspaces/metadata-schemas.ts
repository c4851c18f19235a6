import type { WorkspaceMetadataSchemas } from '../custom-metadata/metadata-schema.js';
import type { DeciderCommandHandler } from '../event-store/decider-command-handler.js';
import { streams } from '../event-store/streams.js';
import { metadataSchemasOf, workspaceDecider, type WorkspaceState } from './workspace.js';

/**
 * The workspace as its stream holds it now, read from the log (new events since the cached fold), not from a
 * read model: a schema set through any instance binds the next write through every other at once.
 */
export function currentWorkspace(commands: DeciderCommandHandler, workspaceId: string): Promise<WorkspaceState> {
  return commands.state({ decider: workspaceDecider, streamId: streams.workspace(workspaceId) });
}

/** What an API write of metadata is checked against: the workspace's schemas now. */
export async function currentMetadataSchemas(
  commands: DeciderCommandHandler,
  workspaceId: string,
): Promise<WorkspaceMetadataSchemas> {
  return metadataSchemasOf(await currentWorkspace(commands, workspaceId));
}
