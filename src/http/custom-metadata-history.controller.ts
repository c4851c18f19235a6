import { Controller, Inject } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { Expose } from 'class-transformer';
import { IsUUID } from 'class-validator';
import type { AppConfig } from '../common/config.js';
import { CurrentCaller, type Caller } from './caller.js';
import { listPage } from './list-pages.js';
import { PageDto } from './page.dto.js';
import { SeamInput } from './seam-input.js';
import { SeamRoute } from './seam-route.js';
import { CONFIG } from '../common/tokens.js';
import { type AuditedResource } from '../audit/index.js';
import { CustomMetadataHistoryQuery } from '../audit/nest.js';

export class DeviceHistoryDto extends PageDto {
  @Expose()
  @IsUUID('all')
  device_id!: string;
}

export class ConnectedAccountHistoryDto extends PageDto {
  @Expose()
  @IsUUID('all')
  connected_account_id!: string;
}

export class ConnectWebviewHistoryDto extends PageDto {
  @Expose()
  @IsUUID('all')
  connect_webview_id!: string;
}

/** Who changed a resource's metadata, when, why, and what it was before: from the resource's own stream. */
@Controller()
export class CustomMetadataHistoryController {
  constructor(
    @Inject(QueryBus) private readonly queryBus: QueryBus,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  @SeamRoute('devices/custom_metadata_history', ['GET', 'POST'])
  device(@CurrentCaller() caller: Caller, @SeamInput(DeviceHistoryDto) input: DeviceHistoryDto) {
    return this.history(caller, 'devices/custom_metadata_history', input, {
      type: 'device',
      idField: 'device_id',
      id: input.device_id,
    });
  }

  @SeamRoute('connected_accounts/custom_metadata_history', ['GET', 'POST'])
  connectedAccount(
    @CurrentCaller() caller: Caller,
    @SeamInput(ConnectedAccountHistoryDto) input: ConnectedAccountHistoryDto,
  ) {
    return this.history(caller, 'connected_accounts/custom_metadata_history', input, {
      type: 'connected_account',
      idField: 'connected_account_id',
      id: input.connected_account_id,
    });
  }

  @SeamRoute('connect_webviews/custom_metadata_history', ['GET', 'POST'])
  connectWebview(
    @CurrentCaller() caller: Caller,
    @SeamInput(ConnectWebviewHistoryDto) input: ConnectWebviewHistoryDto,
  ) {
    return this.history(caller, 'connect_webviews/custom_metadata_history', input, {
      type: 'connect_webview',
      idField: 'connect_webview_id',
      id: input.connect_webview_id,
    });
  }

  private async history(caller: Caller, route: string, input: PageDto, resource: AuditedResource) {
    const { page: request, nextPageUrl } = listPage(this.config, route, { ...input });
    const { entries, pagination, erasedAt } = await this.queryBus.execute(
      new CustomMetadataHistoryQuery(caller.workspaceId, resource, request, nextPageUrl),
    );
    // A deleted resource's history says so, and when: what it recorded before was erased with it.
    return { custom_metadata_history: entries, ...(erasedAt ? { erased_at: erasedAt } : {}), pagination, ok: true };
  }
}
