import { randomUUID } from 'node:crypto';
import type { SqliteDatabase } from '../common/sqlite.js';
import { Inject } from '@nestjs/common';
import { Command, CommandHandler, Query, QueryHandler, type ICommandHandler, type IQueryHandler } from '@nestjs/cqrs';
import { notFound } from '../common/seam-error.js';
import type { AppConfig } from '../config.js';
import type { CustomMetadata, CustomMetadataPatch } from '../custom-metadata/custom-metadata.js';
import { handleCommand } from '../event-store/decider.js';
import type { EventStore } from '../event-store/event-store.js';
import { streams } from '../event-store/streams.js';
import { readAsOf } from '../audit/audit.js';
import type { Caller } from '../http/caller.js';
import { actorOf } from '../http/caller.js';
import type { PageRequest, Pagination } from '../read-models/pagination.js';
import { ReadModelDatabase } from '../read-models/read-model-database.js';
import { CONFIG, EVENT_STORE } from '../tokens.js';
import { connectWebviewDecider, type ConnectWebviewOptions } from './connect-webview.js';
import { findConnectWebview, listConnectWebviews, toConnectWebviewObject } from './connect-webview.projection.js';

export type ConnectWebviewObject = ReturnType<typeof toConnectWebviewObject>;

/** Results of writes carry the log position, so the caller can wait for its effect to be readable. */
export interface WriteResult {
  position: number;
}

export class CreateConnectWebviewCommand extends Command<WriteResult & { connectWebviewId: string }> {
  constructor(
    readonly caller: Caller,
    readonly options: ConnectWebviewOptions,
    readonly customMetadata: CustomMetadataPatch | undefined,
  ) {
    super();
  }
}

export class DeleteConnectWebviewCommand extends Command<WriteResult> {
  constructor(
    readonly caller: Caller,
    readonly connectWebviewId: string,
  ) {
    super();
  }
}

export class GetConnectWebviewQuery extends Query<ConnectWebviewObject> {
  constructor(
    readonly workspaceId: string,
    readonly connectWebviewId: string,
    /** The webview as it was then, folded from its own stream. */
    readonly asOf?: Date,
  ) {
    super();
  }
}

export class ListConnectWebviewsQuery extends Query<{ items: ConnectWebviewObject[]; pagination: Pagination }> {
  constructor(
    readonly workspaceId: string,
    readonly customMetadataHas: CustomMetadata | undefined,
    readonly page: PageRequest,
    readonly nextPageUrl: (cursor: string) => string,
  ) {
    super();
  }
}

@CommandHandler(CreateConnectWebviewCommand)
export class CreateConnectWebviewHandler implements ICommandHandler<CreateConnectWebviewCommand> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ caller, options, customMetadata }: CreateConnectWebviewCommand) {
    const connectWebviewId = randomUUID();
    const { position } = await handleCommand(
      this.store,
      streams.connectWebview(connectWebviewId),
      connectWebviewDecider,
      {
        type: 'CreateConnectWebview',
        connectWebviewId,
        workspaceId: caller.workspaceId,
        options,
        customMetadata,
        actor: actorOf(caller),
        now: new Date().toISOString(),
      },
      { actor: actorOf(caller) },
    );
    return { connectWebviewId, position };
  }
}

@CommandHandler(DeleteConnectWebviewCommand)
export class DeleteConnectWebviewHandler implements ICommandHandler<DeleteConnectWebviewCommand> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ caller, connectWebviewId }: DeleteConnectWebviewCommand) {
    const { position } = await handleCommand(
      this.store,
      streams.connectWebview(connectWebviewId),
      connectWebviewDecider,
      { type: 'DeleteConnectWebview', connectWebviewId, workspaceId: caller.workspaceId, now: new Date().toISOString() },
      { actor: actorOf(caller) },
    );
    return { position };
  }
}

@QueryHandler(GetConnectWebviewQuery)
export class GetConnectWebviewHandler implements IQueryHandler<GetConnectWebviewQuery> {
  constructor(
    @Inject(ReadModelDatabase) private readonly readModels: ReadModelDatabase,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  async execute({ workspaceId, connectWebviewId, asOf }: GetConnectWebviewQuery) {
    const find = (db: SqliteDatabase) => findConnectWebview(db, workspaceId, connectWebviewId);
    const record = asOf ? await readAsOf(this.store, [streams.connectWebview(connectWebviewId)], asOf, find) : find(this.readModels.db);
    if (!record) throw notFound('connect_webview', 'connect_webview_id', connectWebviewId);
    return toConnectWebviewObject(record, this.config.publicUrl);
  }
}

@QueryHandler(ListConnectWebviewsQuery)
export class ListConnectWebviewsHandler implements IQueryHandler<ListConnectWebviewsQuery> {
  constructor(
    @Inject(ReadModelDatabase) private readonly readModels: ReadModelDatabase,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  async execute(query: ListConnectWebviewsQuery) {
    const db: SqliteDatabase = this.readModels.db;
    const { items, pagination } = listConnectWebviews(
      db,
      query.workspaceId,
      { customMetadataHas: query.customMetadataHas },
      query.page,
      query.nextPageUrl,
    );
    return { items: items.map((record) => toConnectWebviewObject(record, this.config.publicUrl)), pagination };
  }
}
