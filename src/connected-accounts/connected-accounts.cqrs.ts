import { Inject } from '@nestjs/common';
import { Command, CommandHandler, Query, QueryHandler, type ICommandHandler, type IQueryHandler } from '@nestjs/cqrs';
import { notFound } from '../common/seam-error.js';
import type { CustomMetadata, CustomMetadataPatch } from '../custom-metadata/custom-metadata.js';
import { handleCommand } from '../event-store/decider.js';
import type { EventStore } from '../event-store/event-store.js';
import { streams } from '../event-store/streams.js';
import { readAsOf } from '../audit/audit.js';
import { actorOf, type Caller } from '../http/caller.js';
import type { PageRequest, Pagination } from '../read-models/pagination.js';
import { ReadModelDatabase } from '../read-models/read-model-database.js';
import { ReadYourWrites } from '../read-models/read-your-writes.js';
import { EVENT_STORE } from '../tokens.js';
import { connectedAccountDecider, type ConnectedAccountCommand } from './connected-account.js';
import { findConnectedAccount, listConnectedAccounts, toConnectedAccountObject } from './connected-account.projection.js';

export type ConnectedAccountObject = ReturnType<typeof toConnectedAccountObject>;

export class UpdateConnectedAccountCommand extends Command<void> {
  constructor(
    readonly caller: Caller,
    readonly connectedAccountId: string,
    readonly customMetadata: CustomMetadataPatch | undefined,
    readonly automaticallyManageNewDevices: boolean | undefined,
  ) {
    super();
  }
}

export class DisconnectConnectedAccountCommand extends Command<void> {
  constructor(
    readonly caller: Caller,
    readonly connectedAccountId: string,
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
    readonly customMetadataHas: CustomMetadata | undefined,
    readonly page: PageRequest,
    readonly nextPageUrl: (cursor: string) => string,
  ) {
    super();
  }
}

/** Both commands: decide on the account's stream, then answer once the change is readable. */
abstract class ConnectedAccountCommandHandler {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(ReadYourWrites) private readonly readYourWrites: ReadYourWrites,
  ) {}

  protected async run(caller: Caller, connectedAccountId: string, command: ConnectedAccountCommand): Promise<void> {
    const { position } = await handleCommand(this.store, streams.connectedAccount(connectedAccountId), connectedAccountDecider, command, {
      actor: actorOf(caller),
    });
    await this.readYourWrites.waitFor(position);
  }
}

@CommandHandler(UpdateConnectedAccountCommand)
export class UpdateConnectedAccountHandler extends ConnectedAccountCommandHandler implements ICommandHandler<UpdateConnectedAccountCommand> {
  execute({ caller, connectedAccountId, customMetadata, automaticallyManageNewDevices }: UpdateConnectedAccountCommand) {
    return this.run(caller, connectedAccountId, {
      type: 'UpdateConnectedAccount',
      connectedAccountId,
      workspaceId: caller.workspaceId,
      customMetadata,
      automaticallyManageNewDevices,
      actor: actorOf(caller),
      now: new Date().toISOString(),
    });
  }
}

@CommandHandler(DisconnectConnectedAccountCommand)
export class DisconnectConnectedAccountHandler extends ConnectedAccountCommandHandler implements ICommandHandler<DisconnectConnectedAccountCommand> {
  execute({ caller, connectedAccountId }: DisconnectConnectedAccountCommand) {
    return this.run(caller, connectedAccountId, {
      type: 'DisconnectConnectedAccount',
      connectedAccountId,
      workspaceId: caller.workspaceId,
      now: new Date().toISOString(),
    });
  }
}

@QueryHandler(GetConnectedAccountQuery)
export class GetConnectedAccountHandler implements IQueryHandler<GetConnectedAccountQuery> {
  constructor(
    @Inject(ReadModelDatabase) private readonly readModels: ReadModelDatabase,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  async execute({ workspaceId, by, asOf }: GetConnectedAccountQuery) {
    const live = findConnectedAccount(this.readModels.db, workspaceId, by);
    const id = 'connectedAccountId' in by ? by.connectedAccountId : live?.connected_account_id;
    const record =
      asOf && id
        ? await readAsOf(this.store, [streams.connectedAccount(id)], asOf, (db) => findConnectedAccount(db, workspaceId, { connectedAccountId: id }))
        : live;
    if (!record) {
      throw 'email' in by ? notFound('connected_account', 'email', by.email) : notFound('connected_account', 'connected_account_id', by.connectedAccountId);
    }
    return toConnectedAccountObject(record);
  }
}

@QueryHandler(ListConnectedAccountsQuery)
export class ListConnectedAccountsHandler implements IQueryHandler<ListConnectedAccountsQuery> {
  constructor(@Inject(ReadModelDatabase) private readonly readModels: ReadModelDatabase) {}

  async execute(query: ListConnectedAccountsQuery) {
    const { items, pagination } = listConnectedAccounts(
      this.readModels.db,
      query.workspaceId,
      { customMetadataHas: query.customMetadataHas },
      query.page,
      query.nextPageUrl,
    );
    return { items: items.map(toConnectedAccountObject), pagination };
  }
}
