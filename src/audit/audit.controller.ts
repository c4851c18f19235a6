import { Controller, Inject } from '@nestjs/common';
import { Query, QueryBus, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { Expose } from 'class-transformer';
import { IsInt, IsOptional, IsString, IsUUID, Max, Min } from 'class-validator';
import type { AppConfig } from '../config.js';
import type { EventStore } from '../event-store/event-store.js';
import { CurrentCaller, type Caller } from '../http/caller.js';
import { listPage } from '../http/list-pages.js';
import { SeamInput, ToInteger } from '../http/seam-input.js';
import { SeamRoute } from '../http/seam-route.js';
import { page, type PageRequest, type Pagination } from '../read-models/pagination.js';
import { MAX_LIMIT } from '../read-models/pagination.js';
import { CONFIG, EVENT_STORE } from '../tokens.js';
import { customMetadataHistory, readResourceStream, type AuditedResource, type CustomMetadataHistoryEntry } from './audit.js';

class HistoryPageDto {
  @Expose() @ToInteger() @IsOptional() @IsInt() @Min(1) @Max(MAX_LIMIT)
  limit?: number;

  @Expose() @IsOptional() @IsString()
  page_cursor?: string | null;
}

export class DeviceHistoryDto extends HistoryPageDto {
  @Expose() @IsUUID('all')
  device_id!: string;
}

export class ConnectedAccountHistoryDto extends HistoryPageDto {
  @Expose() @IsUUID('all')
  connected_account_id!: string;
}

export class ConnectWebviewHistoryDto extends HistoryPageDto {
  @Expose() @IsUUID('all')
  connect_webview_id!: string;
}

export class CustomMetadataHistoryQuery extends Query<{ entries: CustomMetadataHistoryEntry[]; pagination: Pagination }> {
  constructor(
    readonly workspaceId: string,
    readonly resource: AuditedResource,
    readonly page: PageRequest,
    readonly nextPageUrl: (cursor: string) => string,
  ) {
    super();
  }
}

/** Oldest first, paginated by stream revision. */
@QueryHandler(CustomMetadataHistoryQuery)
export class CustomMetadataHistoryHandler implements IQueryHandler<CustomMetadataHistoryQuery> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ workspaceId, resource, page: request, nextPageUrl }: CustomMetadataHistoryQuery) {
    const history = customMetadataHistory(await readResourceStream(this.store, resource, workspaceId));
    const after = request.continueAfter ?? -1;
    const rows = history.filter((entry) => entry.revision > after).slice(0, request.limit + 1);
    const { items, pagination } = page(rows, request, (entry) => entry.revision, nextPageUrl);
    return { entries: items, pagination };
  }
}

/** Who changed a resource's metadata, when, why, and what it was before: from the resource's own stream. */
@Controller()
export class AuditController {
  constructor(
    @Inject(QueryBus) private readonly queryBus: QueryBus,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  @SeamRoute('devices/custom_metadata_history', ['GET', 'POST'])
  device(@CurrentCaller() caller: Caller, @SeamInput(DeviceHistoryDto) input: DeviceHistoryDto) {
    return this.history(caller, 'devices/custom_metadata_history', input, { type: 'device', idField: 'device_id', id: input.device_id });
  }

  @SeamRoute('connected_accounts/custom_metadata_history', ['GET', 'POST'])
  connectedAccount(@CurrentCaller() caller: Caller, @SeamInput(ConnectedAccountHistoryDto) input: ConnectedAccountHistoryDto) {
    return this.history(caller, 'connected_accounts/custom_metadata_history', input, {
      type: 'connected_account',
      idField: 'connected_account_id',
      id: input.connected_account_id,
    });
  }

  @SeamRoute('connect_webviews/custom_metadata_history', ['GET', 'POST'])
  connectWebview(@CurrentCaller() caller: Caller, @SeamInput(ConnectWebviewHistoryDto) input: ConnectWebviewHistoryDto) {
    return this.history(caller, 'connect_webviews/custom_metadata_history', input, {
      type: 'connect_webview',
      idField: 'connect_webview_id',
      id: input.connect_webview_id,
    });
  }

  private async history(caller: Caller, route: string, input: HistoryPageDto, resource: AuditedResource) {
    const { page: request, nextPageUrl } = listPage(this.config, route, { ...input });
    const { entries, pagination } = await this.queryBus.execute(new CustomMetadataHistoryQuery(caller.workspaceId, resource, request, nextPageUrl));
    return { custom_metadata_history: entries, pagination, ok: true };
  }
}
