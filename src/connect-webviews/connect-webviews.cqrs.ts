import { randomUUID } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { Command, CommandHandler, Query, QueryHandler, type ICommandHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { AppConfig } from '../common/config.js';
import { NotFound } from '../common/domain-errors.js';
import type { SqliteDatabase } from '../common/sqlite.js';
import { CONFIG } from '../common/tokens.js';
import type { CommandOptions, WriteResult } from '../event-store/decider.js';
import { DeciderCommandHandler } from '../event-store/decider-command-handler.js';
import type { EventStore } from '../event-store/event-store.js';
import { idempotentResourceId, replayedPosition, type IdempotentCreate } from '../event-store/idempotency-key.js';
import { streams } from '../event-store/streams.js';
import { AsOfReads } from '../read-models/as-of.js';
import { currentMetadataSchemas } from '../workspaces/index.js';
import type { PageRequest, Pagination } from '../read-models/pagination.js';
import { WebviewTokens } from './webview-tokens.js';
import { ReadModelDatabase } from '../read-models/read-model-database.js';
import { connectWebviewDecider, type ConnectWebviewCommand } from './connect-webview.js';
import {
  connectWebviewReadModel,
  findConnectWebview,
  listConnectWebviews,
  toConnectWebviewObject,
  type ConnectWebviewFilter,
} from './connect-webview.projection.js';

export type ConnectWebviewObject = ReturnType<typeof toConnectWebviewObject>;

/** A webview command on the command bus: the command, and the saga's event ids and correlation when it sends it. */
export class ConnectWebviewCommandMessage extends Command<WriteResult> {
  /** A create has its own message, CreateConnectWebviewMessage: it makes the webview's id. */
  constructor(
    readonly command: Exclude<ConnectWebviewCommand, CreateConnectWebview>,
    readonly options: CommandOptions = {},
  ) {
    super();
  }
}

type CreateConnectWebview = Extract<ConnectWebviewCommand, { type: 'CreateConnectWebview' }>;

/** A create: its result names the webview, and whether it was a retry that created nothing. */
export interface CreatedConnectWebview extends WriteResult {
  connectWebviewId: string;
  replayed: boolean;
}

/**
 * Creates a webview. With an `Idempotency-Key`, its id is derived from the key (idempotency-key.ts), so a
 * retry on any instance, at any time within 24 h, lands on the same webview.
 */
export class CreateConnectWebviewMessage extends Command<CreatedConnectWebview> {
  constructor(
    readonly command: Omit<CreateConnectWebview, 'connectWebviewId' | 'requestHash'>,
    readonly idempotency?: IdempotentCreate,
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
    readonly filter: ConnectWebviewFilter,
    readonly page: PageRequest,
    readonly nextPageUrl: (cursor: string) => string,
  ) {
    super();
  }
}

@CommandHandler(ConnectWebviewCommandMessage)
export class ConnectWebviewCommandHandler implements ICommandHandler<ConnectWebviewCommandMessage> {
  constructor(@Inject(DeciderCommandHandler) private readonly commands: DeciderCommandHandler) {}

  async execute({ command, options }: ConnectWebviewCommandMessage): Promise<WriteResult> {
    const streamId = streams.connectWebview(command.connectWebviewId);
    const { position } = await this.commands.handle({ decider: connectWebviewDecider, streamId }, command, options);
    return { position };
  }
}

@CommandHandler(CreateConnectWebviewMessage)
export class CreateConnectWebviewHandler implements ICommandHandler<CreateConnectWebviewMessage> {
  constructor(@Inject(DeciderCommandHandler) private readonly commands: DeciderCommandHandler) {}

  private get store(): EventStore {
    return this.commands.store;
  }

  async execute({ command, idempotency }: CreateConnectWebviewMessage): Promise<CreatedConnectWebview> {
    const connectWebviewId = idempotency
      ? await idempotentResourceId(
          this.store,
          streams.connectWebview,
          { workspaceId: command.workspaceId, route: 'connect_webviews/create', key: idempotency.key },
          command.now,
        )
      : randomUUID();
    const stream = streams.connectWebview(connectWebviewId);
    const { position, events } = await this.commands.handle(
      { decider: connectWebviewDecider, streamId: stream },
      {
        ...command,
        connectWebviewId,
        requestHash: idempotency?.requestHash,
        metadataSchemas: await currentMetadataSchemas(this.commands, command.workspaceId),
      },
    );
    const replayed = events.length === 0;
    return { position: replayed ? await replayedPosition(this.store, stream) : position, connectWebviewId, replayed };
  }
}

@QueryHandler(GetConnectWebviewQuery)
export class GetConnectWebviewHandler implements IQueryHandler<GetConnectWebviewQuery> {
  constructor(
    @Inject(ReadModelDatabase) private readonly readModels: ReadModelDatabase,
    @Inject(AsOfReads) private readonly asOfReads: AsOfReads,
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(WebviewTokens) private readonly tokens: WebviewTokens,
  ) {}

  async execute({ workspaceId, connectWebviewId, asOf }: GetConnectWebviewQuery) {
    const find = (db: SqliteDatabase) => findConnectWebview(db, workspaceId, connectWebviewId);
    const record = asOf
      ? await this.asOfReads.read([streams.connectWebview(connectWebviewId)], asOf, [connectWebviewReadModel], find)
      : find(this.readModels.db);
    if (!record) throw new NotFound('connect_webview', 'connect_webview_id', connectWebviewId);
    return toConnectWebviewObject(record, this.config.publicUrl, this.tokens);
  }
}

@QueryHandler(ListConnectWebviewsQuery)
export class ListConnectWebviewsHandler implements IQueryHandler<ListConnectWebviewsQuery> {
  constructor(
    @Inject(ReadModelDatabase) private readonly readModels: ReadModelDatabase,
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(WebviewTokens) private readonly tokens: WebviewTokens,
  ) {}

  async execute({ workspaceId, filter, page, nextPageUrl }: ListConnectWebviewsQuery) {
    if (filter.asOf !== undefined) this.readModels.requireHistory(connectWebviewReadModel.name);
    const { items, pagination } = listConnectWebviews(this.readModels.db, workspaceId, filter, page, nextPageUrl);
    return {
      items: items.map((record) => toConnectWebviewObject(record, this.config.publicUrl, this.tokens)),
      pagination,
    };
  }
}
