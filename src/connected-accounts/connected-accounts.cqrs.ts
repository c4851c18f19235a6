import { Inject } from '@nestjs/common';
import { Command, CommandHandler, Query, QueryHandler, type ICommandHandler, type IQueryHandler } from '@nestjs/cqrs';
import { NotFound } from '../common/domain-errors.js';
import type { CommandOptions } from '../event-store/decider.js';
import type { MetadataWriteResult } from '../custom-metadata/metadata-set.js';
import { DeciderCommandHandler } from '../event-store/decider-command-handler.js';
import { streams } from '../event-store/streams.js';
import { AsOfReads } from '../read-models/as-of.js';
import { currentMetadataSchemas } from '../workspaces/index.js';
import type { PageRequest, Pagination } from '../read-models/pagination.js';
import { ReadModelDatabase } from '../read-models/read-model-database.js';
import { connectedAccountDecider, type ConnectedAccountCommand } from './connected-account.js';
import {
  connectedAccountReadModel,
  findConnectedAccount,
  listConnectedAccounts,
  toConnectedAccountObject,
  type ConnectedAccountFilter,
} from './connected-account.projection.js';

export type ConnectedAccountObject = ReturnType<typeof toConnectedAccountObject>;

/** A connected-account command on the command bus: the command, and the saga's event ids and correlation when it sends it. */
export class ConnectedAccountCommandMessage extends Command<MetadataWriteResult> {
  constructor(
    readonly command: ConnectedAccountCommand,
    readonly options: CommandOptions = {},
  ) {
    super();
  }
}

export class GetConnectedAccountQuery extends Query<ConnectedAccountObject> {
  constructor(
    readonly workspaceId: string,
    readonly by: { connectedAccountId: string } | { email: string },
    /** The account as it was then, folded from its own stream. */
    readonly asOf?: Date,
  ) {
    super();
  }
}

export class ListConnectedAccountsQuery extends Query<{ items: ConnectedAccountObject[]; pagination: Pagination }> {
  constructor(
    readonly workspaceId: string,
    readonly filter: ConnectedAccountFilter,
    readonly page: PageRequest,
    readonly nextPageUrl: (cursor: string) => string,
  ) {
    super();
  }
}

@CommandHandler(ConnectedAccountCommandMessage)
export class ConnectedAccountCommandHandler implements ICommandHandler<ConnectedAccountCommandMessage> {
  constructor(@Inject(DeciderCommandHandler) private readonly commands: DeciderCommandHandler) {}

  async execute({ command, options }: ConnectedAccountCommandMessage): Promise<MetadataWriteResult> {
    const streamId = streams.connectedAccount(command.connectedAccountId);
    const checked =
      command.type === 'UpdateConnectedAccount' && command.customMetadata !== undefined
        ? { ...command, metadataSchemas: await currentMetadataSchemas(this.commands, command.workspaceId) }
        : command;
    const { position, state } = await this.commands.handle(
      { decider: connectedAccountDecider, streamId },
      checked,
      options,
    );
    return { position, customMetadataRevision: state.customMetadataRevision };
  }
}

@QueryHandler(GetConnectedAccountQuery)
export class GetConnectedAccountHandler implements IQueryHandler<GetConnectedAccountQuery> {
  constructor(
    @Inject(ReadModelDatabase) private readonly readModels: ReadModelDatabase,
    @Inject(AsOfReads) private readonly asOfReads: AsOfReads,
  ) {}

  async execute({ workspaceId, by, asOf }: GetConnectedAccountQuery) {
    const live = findConnectedAccount(this.readModels.db, workspaceId, by);
    const id = 'connectedAccountId' in by ? by.connectedAccountId : live?.connected_account_id;
    const record =
      asOf && id
        ? await this.asOfReads.read([streams.connectedAccount(id)], asOf, [connectedAccountReadModel], (db) =>
            findConnectedAccount(db, workspaceId, { connectedAccountId: id }),
          )
        : live;
    if (!record) {
      throw 'email' in by
        ? new NotFound('connected_account', 'email', by.email)
        : new NotFound('connected_account', 'connected_account_id', by.connectedAccountId);
    }
    return toConnectedAccountObject(record);
  }
}

@QueryHandler(ListConnectedAccountsQuery)
export class ListConnectedAccountsHandler implements IQueryHandler<ListConnectedAccountsQuery> {
  constructor(@Inject(ReadModelDatabase) private readonly readModels: ReadModelDatabase) {}

  async execute({ workspaceId, filter, page, nextPageUrl }: ListConnectedAccountsQuery) {
    if (filter.asOf !== undefined) this.readModels.requireHistory(connectedAccountReadModel.name);
    const { items, pagination } = listConnectedAccounts(this.readModels.db, workspaceId, filter, page, nextPageUrl);
    return { items: items.map(toConnectedAccountObject), pagination };
  }
}
