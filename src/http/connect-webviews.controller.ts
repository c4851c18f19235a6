import { randomBytes } from 'node:crypto';
import { Controller, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import type { AppConfig } from '../common/config.js';
import { CONFIG } from '../common/tokens.js';
import { WebviewTokens } from '../connect-webviews/index.js';
import {
  ConnectWebviewCommandMessage,
  CreateConnectWebviewMessage,
  GetConnectWebviewQuery,
  ListConnectWebviewsQuery,
} from '../connect-webviews/nest.js';
import { parseCustomMetadataInput } from '../custom-metadata/custom-metadata.js';
import { metadataFilters } from './metadata-filters.js';
import { ReadYourWrites } from '../read-models/read-your-writes.js';
import { commandMeta, CurrentCaller, type Caller } from './caller.js';
import {
  ConnectWebviewIdDto,
  CreateConnectWebviewDto,
  GetConnectWebviewDto,
  ListConnectWebviewsDto,
} from './connect-webviews.dto.js';
import { listPage } from './list-pages.js';
import { asOfDate, SeamInput } from './seam-input.js';
import { SeamRoute, SeamWriteRoute } from './seam-route.js';
import { IdempotencyKey, markReplayed } from './idempotency.js';
import type { IdempotentCreate } from '../event-store/idempotency-key.js';
import { answerAt } from './log-position.interceptor.js';
import { withCustomMetadataRevision } from './custom-metadata-revision.js';

@Controller()
export class ConnectWebviewsController {
  constructor(
    @Inject(CommandBus) private readonly commandBus: CommandBus,
    @Inject(QueryBus) private readonly queryBus: QueryBus,
    @Inject(ReadYourWrites) private readonly readYourWrites: ReadYourWrites,
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(WebviewTokens) private readonly tokens: WebviewTokens,
  ) {}

  @SeamWriteRoute('connect_webviews/create', ['POST'])
  async create(
    @CurrentCaller() caller: Caller,
    @SeamInput(CreateConnectWebviewDto) input: CreateConnectWebviewDto,
    @IdempotencyKey() idempotency: IdempotentCreate | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { custom_metadata, ...options } = input;
    const { position, connectWebviewId, replayed } = await this.commandBus.execute(
      new CreateConnectWebviewMessage(
        {
          type: 'CreateConnectWebview',
          workspaceId: caller.workspaceId,
          options,
          customMetadata: custom_metadata === undefined ? undefined : parseCustomMetadataInput(custom_metadata),
          // Unguessable: with the webview's id, it is what opens its page to the end user. Derived from the id
          // under the service's key (and so never stored) when the log is encrypted.
          authToken: this.tokens.derived ? 'derived' : randomBytes(24).toString('base64url'),
          ...commandMeta(caller),
        },
        idempotency,
      ),
    );
    await this.readYourWrites.waitFor(position);
    const connect_webview = await this.queryBus.execute(
      new GetConnectWebviewQuery(caller.workspaceId, connectWebviewId),
    );
    markReplayed(reply, replayed);
    return answerAt(position, { connect_webview, ok: true });
  }

  @SeamRoute('connect_webviews/get', ['GET', 'POST'])
  async get(@CurrentCaller() caller: Caller, @SeamInput(GetConnectWebviewDto) input: GetConnectWebviewDto) {
    const connect_webview = await this.queryBus.execute(
      new GetConnectWebviewQuery(caller.workspaceId, input.connect_webview_id, asOfDate(input.as_of)),
    );
    const resource = { type: 'connect_webview', idField: 'connect_webview_id', id: input.connect_webview_id } as const;
    return withCustomMetadataRevision(this.queryBus, resource, { connect_webview, ok: true }, input.as_of);
  }

  @SeamRoute('connect_webviews/list', ['GET', 'POST'])
  async list(@CurrentCaller() caller: Caller, @SeamInput(ListConnectWebviewsDto) input: ListConnectWebviewsDto) {
    const { customMetadataHas, customMetadataMatch, asOf, params } = metadataFilters(input);
    const { page, nextPageUrl } = listPage(this.config, 'connect_webviews/list', { ...input, ...params });
    const { items, pagination } = await this.queryBus.execute(
      new ListConnectWebviewsQuery(
        caller.workspaceId,
        {
          customMetadataHas,
          customMetadataMatch,
          asOf,
          search: input.search,
          customerKey: input.customer_key,
          matchesNothing: input.user_identifier_key !== undefined,
        },
        page,
        nextPageUrl,
      ),
    );
    return { connect_webviews: items, pagination, ok: true };
  }

  @SeamWriteRoute('connect_webviews/delete', ['DELETE', 'POST'])
  async delete(@CurrentCaller() caller: Caller, @SeamInput(ConnectWebviewIdDto) input: ConnectWebviewIdDto) {
    const { position } = await this.commandBus.execute(
      new ConnectWebviewCommandMessage({
        type: 'DeleteConnectWebview',
        connectWebviewId: input.connect_webview_id,
        workspaceId: caller.workspaceId,
        ...commandMeta(caller),
      }),
    );
    await this.readYourWrites.waitFor(position);
    return answerAt(position, { ok: true });
  }
}
