import { AlreadyDone, InvalidCommand, NotFound } from '../common/domain-errors.js';
import { unknownCommand, unknownEvent, type CommandMeta, type Decider } from '../event-store/decider.js';
import type { MetadataResourceType } from '../custom-metadata/metadata-set.js';
import {
  sameMetadataSchema,
  type CustomMetadataSchema,
  type WorkspaceMetadataSchemas,
} from '../custom-metadata/metadata-schema.js';

/** A workspace and its API keys (hashes only), in the stream `workspace-<id>`. */
export type WorkspaceEvent =
  | {
      type: 'WorkspaceCreated';
      data: { workspace_id: string; name: string; is_sandbox: boolean; created_at: string };
    }
  | {
      type: 'ApiKeyIssued';
      data: { api_key_id: string; workspace_id: string; key_hash: string; short_token: string; created_at: string };
    }
  | {
      type: 'ApiKeyRevoked';
      data: { api_key_id: string; workspace_id: string; revoked_at: string };
    }
  | {
      /**
       * A resource type's metadata schema (an extension), replacing the one before: every API write of that
       * type's metadata is checked against it from then on.
       */
      type: 'CustomMetadataSchemaSet';
      data: {
        workspace_id: string;
        resource_type: MetadataResourceType;
        schema: CustomMetadataSchema;
        previous_schema: CustomMetadataSchema | null;
        set_at: string;
      };
    }
  | {
      /**
       * The operator's offboarding (`workspace erase`): every key of the workspace is destroyed next, so all
       * its events read as erased. Kept in clear (an id and a time) so that it is read after that.
       */
      type: 'WorkspaceErased';
      data: { workspace_id: string; erased_at: string };
    };

export type WorkspaceCommand = CommandMeta &
  (
    | { type: 'CreateWorkspace'; workspaceId: string; name: string; isSandbox: boolean; firstKey: ApiKeyToIssue }
    | { type: 'IssueApiKey'; workspaceId: string; key: ApiKeyToIssue }
    | { type: 'RevokeApiKey'; workspaceId: string; apiKeyId: string }
    | { type: 'EraseWorkspace'; workspaceId: string }
    | {
        type: 'SetCustomMetadataSchema';
        workspaceId: string;
        resourceType: MetadataResourceType;
        schema: CustomMetadataSchema;
      }
  );

export interface ApiKeyToIssue {
  apiKeyId: string;
  keyHash: string;
  shortToken: string;
}

export interface WorkspaceState {
  exists: boolean;
  /** Each key issued, and whether it has been revoked. */
  keys: Readonly<Record<string, { revoked: boolean }>>;
  erasedAt: string | null;
  /** Each resource type's metadata schema, and when it was set. */
  metadataSchemas: Readonly<Partial<Record<MetadataResourceType, { schema: CustomMetadataSchema; setAt: string }>>>;
}

/** The schemas a write of metadata is checked against (`assertMetadataSatisfiesSchema`). */
export function metadataSchemasOf(state: WorkspaceState): WorkspaceMetadataSchemas {
  return Object.fromEntries(Object.entries(state.metadataSchemas).map(([type, set]) => [type, set.schema]));
}

export const MAX_WORKSPACE_NAME_LENGTH = 100;

export const workspaceDecider: Decider<WorkspaceCommand, WorkspaceEvent, WorkspaceState> = {
  initialState: () => ({ exists: false, keys: {}, erasedAt: null, metadataSchemas: {} }),

  evolve(state, event) {
    switch (event.type) {
      case 'WorkspaceCreated':
        return { ...state, exists: true };
      case 'ApiKeyIssued':
        return { ...state, keys: { ...state.keys, [event.data.api_key_id]: { revoked: false } } };
      case 'ApiKeyRevoked':
        return { ...state, keys: { ...state.keys, [event.data.api_key_id]: { revoked: true } } };
      case 'CustomMetadataSchemaSet': {
        const { resource_type: type, schema, set_at: setAt } = event.data;
        return { ...state, metadataSchemas: { ...state.metadataSchemas, [type]: { schema, setAt } } };
      }
      case 'WorkspaceErased':
        return { ...workspaceDecider.initialState(), erasedAt: event.data.erased_at };
      default:
        // An event whose key was destroyed (EventErased) tells nothing.
        return unknownEvent(event, state);
    }
  },

  decide(command, state) {
    switch (command.type) {
      case 'CreateWorkspace':
        return decideCreateWorkspace(command, state);
      case 'IssueApiKey':
        return decideIssueApiKey(command, state);
      case 'RevokeApiKey':
        return decideRevokeApiKey(command, state);
      case 'EraseWorkspace':
        return decideEraseWorkspace(command, state);
      case 'SetCustomMetadataSchema':
        return decideSetCustomMetadataSchema(command, state);
      default:
        return unknownCommand(command);
    }
  },
};

function apiKeyIssued(workspaceId: string, key: ApiKeyToIssue, now: string): WorkspaceEvent {
  return {
    type: 'ApiKeyIssued',
    data: {
      api_key_id: key.apiKeyId,
      workspace_id: workspaceId,
      key_hash: key.keyHash,
      short_token: key.shortToken,
      created_at: now,
    },
  };
}

type CommandOf<T extends WorkspaceCommand['type']> = Extract<WorkspaceCommand, { type: T }>;

function decideCreateWorkspace(command: CommandOf<'CreateWorkspace'>, state: WorkspaceState): WorkspaceEvent[] {
  if (state.exists || state.erasedAt) throw new AlreadyDone('workspace_already_exists', 'Workspace already exists');
  const name = command.name.trim();
  if (name.length === 0 || name.length > MAX_WORKSPACE_NAME_LENGTH) {
    throw new InvalidCommand([
      { path: [], message: `Workspace name must be 1 to ${MAX_WORKSPACE_NAME_LENGTH} characters` },
    ]);
  }
  return [
    {
      type: 'WorkspaceCreated',
      data: { workspace_id: command.workspaceId, name, is_sandbox: command.isSandbox, created_at: command.now },
    },
    apiKeyIssued(command.workspaceId, command.firstKey, command.now),
  ];
}

function decideIssueApiKey(command: CommandOf<'IssueApiKey'>, state: WorkspaceState): WorkspaceEvent[] {
  if (!state.exists) throw new NotFound('workspace', 'workspace_id', command.workspaceId);
  return [apiKeyIssued(command.workspaceId, command.key, command.now)];
}

function decideRevokeApiKey(command: CommandOf<'RevokeApiKey'>, state: WorkspaceState): WorkspaceEvent[] {
  const key = Object.hasOwn(state.keys, command.apiKeyId) ? state.keys[command.apiKeyId] : undefined;
  if (!key) throw new NotFound('api_key', 'api_key_id', command.apiKeyId);
  // Revoking twice changes nothing: a retried revocation succeeds without a second event.
  if (key.revoked) return [];
  return [
    {
      type: 'ApiKeyRevoked',
      data: { api_key_id: command.apiKeyId, workspace_id: command.workspaceId, revoked_at: command.now },
    },
  ];
}

function decideEraseWorkspace(command: CommandOf<'EraseWorkspace'>, state: WorkspaceState): WorkspaceEvent[] {
  // Erasing again finishes what an interrupted erasure began, and records nothing more.
  if (state.erasedAt) return [];
  if (!state.exists) throw new NotFound('workspace', 'workspace_id', command.workspaceId);
  return [{ type: 'WorkspaceErased', data: { workspace_id: command.workspaceId, erased_at: command.now } }];
}

function decideSetCustomMetadataSchema(
  command: CommandOf<'SetCustomMetadataSchema'>,
  state: WorkspaceState,
): WorkspaceEvent[] {
  if (!state.exists) throw new NotFound('workspace', 'workspace_id', command.workspaceId);
  const previous = state.metadataSchemas[command.resourceType]?.schema ?? null;
  // The same schema again records nothing: a retried update succeeds without a second event.
  if (sameMetadataSchema(previous ?? undefined, command.schema)) return [];
  return [
    {
      type: 'CustomMetadataSchemaSet',
      data: {
        workspace_id: command.workspaceId,
        resource_type: command.resourceType,
        schema: command.schema,
        previous_schema: previous,
        set_at: command.now,
      },
    },
  ];
}
