import { randomUUID } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { Command, CommandHandler, Query, QueryHandler, type ICommandHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { Actor } from '../common/actor.js';
import type { CustomMetadataSchema } from '../custom-metadata/metadata-schema.js';
import type { MetadataResourceType } from '../custom-metadata/metadata-set.js';
import { DeciderCommandHandler } from '../event-store/decider-command-handler.js';
import { streams } from '../event-store/streams.js';
import { generateApiKey } from './api-key.js';
import type { IssuedApiKey, RevokedApiKey } from './api-keys.js';
import { currentWorkspace } from './metadata-schemas.js';
import { workspaceDecider, type WorkspaceState } from './workspace.js';

/** A new workspace and its first key: the CLI's `workspace create`, and a first start's sandbox. */
export class CreateWorkspaceMessage extends Command<IssuedApiKey> {
  constructor(readonly command: { name: string; isSandbox: boolean; actor: Actor }) {
    super();
  }
}

/** Another key for a workspace (`api-key create`). */
export class IssueApiKeyMessage extends Command<IssuedApiKey> {
  constructor(readonly command: { workspaceId: string; actor: Actor }) {
    super();
  }
}

/** Revokes a key (`api-key revoke`): from the moment a server's read models reach this event, the key gets 401. */
export class RevokeApiKeyMessage extends Command<RevokedApiKey> {
  constructor(readonly command: { workspaceId: string; apiKeyId: string; actor: Actor }) {
    super();
  }
}

const workspace = (workspaceId: string) => ({ decider: workspaceDecider, streamId: streams.workspace(workspaceId) });

@CommandHandler(CreateWorkspaceMessage)
export class CreateWorkspaceHandler implements ICommandHandler<CreateWorkspaceMessage> {
  constructor(@Inject(DeciderCommandHandler) private readonly commands: DeciderCommandHandler) {}

  async execute({ command }: CreateWorkspaceMessage): Promise<IssuedApiKey> {
    const workspaceId = randomUUID();
    const key = generateApiKey(randomUUID());
    const { position } = await this.commands.handle(workspace(workspaceId), {
      type: 'CreateWorkspace',
      workspaceId,
      name: command.name,
      isSandbox: command.isSandbox,
      firstKey: key,
      actor: command.actor,
      now: new Date().toISOString(),
    });
    return { workspace_id: workspaceId, api_key_id: key.apiKeyId, api_key: key.token, position };
  }
}

@CommandHandler(IssueApiKeyMessage)
export class IssueApiKeyHandler implements ICommandHandler<IssueApiKeyMessage> {
  constructor(@Inject(DeciderCommandHandler) private readonly commands: DeciderCommandHandler) {}

  async execute({ command }: IssueApiKeyMessage): Promise<IssuedApiKey> {
    const key = generateApiKey(randomUUID());
    const { position } = await this.commands.handle(workspace(command.workspaceId), {
      type: 'IssueApiKey',
      workspaceId: command.workspaceId,
      key,
      actor: command.actor,
      now: new Date().toISOString(),
    });
    return { workspace_id: command.workspaceId, api_key_id: key.apiKeyId, api_key: key.token, position };
  }
}

@CommandHandler(RevokeApiKeyMessage)
export class RevokeApiKeyHandler implements ICommandHandler<RevokeApiKeyMessage> {
  constructor(@Inject(DeciderCommandHandler) private readonly commands: DeciderCommandHandler) {}

  async execute({ command }: RevokeApiKeyMessage): Promise<RevokedApiKey> {
    const { position } = await this.commands.handle(workspace(command.workspaceId), {
      type: 'RevokeApiKey',
      workspaceId: command.workspaceId,
      apiKeyId: command.apiKeyId,
      actor: command.actor,
      now: new Date().toISOString(),
    });
    return { workspace_id: command.workspaceId, api_key_id: command.apiKeyId, revoked: true, position };
  }
}

/** A resource type's schema as the workspace's stream holds it: none set means any metadata goes. */
export interface CurrentMetadataSchema {
  resourceType: MetadataResourceType;
  schema: CustomMetadataSchema | null;
  setAt: string | null;
}

const schemaOf = (state: WorkspaceState, resourceType: MetadataResourceType): CurrentMetadataSchema => {
  const set = state.metadataSchemas[resourceType];
  return { resourceType, schema: set?.schema ?? null, setAt: set?.setAt ?? null };
};

/** `custom_metadata/schemas/update`: replaces a resource type's schema. */
export class SetCustomMetadataSchemaMessage extends Command<CurrentMetadataSchema & { position: number }> {
  constructor(
    readonly command: {
      workspaceId: string;
      resourceType: MetadataResourceType;
      schema: CustomMetadataSchema;
      actor: Actor;
    },
  ) {
    super();
  }
}

/** `custom_metadata/schemas/get`. */
export class GetCustomMetadataSchemaQuery extends Query<CurrentMetadataSchema> {
  constructor(
    readonly workspaceId: string,
    readonly resourceType: MetadataResourceType,
  ) {
    super();
  }
}

@CommandHandler(SetCustomMetadataSchemaMessage)
export class SetCustomMetadataSchemaHandler implements ICommandHandler<SetCustomMetadataSchemaMessage> {
  constructor(@Inject(DeciderCommandHandler) private readonly commands: DeciderCommandHandler) {}

  async execute({ command }: SetCustomMetadataSchemaMessage) {
    const { position, state } = await this.commands.handle(workspace(command.workspaceId), {
      type: 'SetCustomMetadataSchema',
      ...command,
      now: new Date().toISOString(),
    });
    return { ...schemaOf(state, command.resourceType), position };
  }
}

@QueryHandler(GetCustomMetadataSchemaQuery)
export class GetCustomMetadataSchemaHandler implements IQueryHandler<GetCustomMetadataSchemaQuery> {
  constructor(@Inject(DeciderCommandHandler) private readonly commands: DeciderCommandHandler) {}

  async execute({ workspaceId, resourceType }: GetCustomMetadataSchemaQuery) {
    return schemaOf(await currentWorkspace(this.commands, workspaceId), resourceType);
  }
}
