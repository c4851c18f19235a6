import { Controller, Inject } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { Expose } from 'class-transformer';
import { IsOptional, IsString, IsUUID, ValidateIf } from 'class-validator';
import { BoundedLength, TimeParam } from './string-limits.js';
import type { AppConfig } from '../common/config.js';
import { parseCustomMetadataFilter, parseCustomMetadataInput } from '../custom-metadata/custom-metadata.js';
import { commandMeta, CurrentCaller, type Caller } from './caller.js';
import { listPage } from './list-pages.js';
import { PageDto } from './page.dto.js';
import { asOfDate, RawParam, SearchParam, SeamInput, Unsupported, ListParam } from './seam-input.js';
import { SeamRoute, SeamWriteRoute } from './seam-route.js';
import { CONFIG } from '../common/tokens.js';
import { DeviceCommandMessage, GetDeviceQuery, ListDevicesQuery } from '../devices/index.js';
import { ReadYourWrites } from '../read-models/read-your-writes.js';

export class DeviceIdDto {
  @Expose()
  @IsUUID('all')
  device_id!: string;
}

export class GetDeviceDto {
  @Expose()
  @ValidateIf((o: GetDeviceDto) => o.name === undefined)
  @IsUUID('all')
  device_id?: string;

  /** Instead of `device_id`: the device's name. */
  @Expose()
  @IsOptional()
  @IsString()
  @BoundedLength('name')
  name?: string;

  /** ISO 8601: the device as it was at that moment (404 before it existed). */
  @Expose()
  @IsOptional()
  @TimeParam()
  as_of?: string;
}

export class UpdateDeviceDto extends DeviceIdDto {
  @Expose()
  @IsOptional()
  @IsString()
  @BoundedLength('name')
  name?: string;

  /** Merged into the device's metadata ("add or change"; `null` removes a key). */
  @RawParam('custom_metadata')
  custom_metadata?: unknown;
}

export class ListDevicesDto extends PageDto {
  @Expose()
  @IsOptional()
  @IsUUID('all')
  connected_account_id?: string;

  @ListParam()
  @IsUUID('all', { each: true })
  connected_account_ids?: string[];

  @Expose()
  @IsOptional()
  @IsUUID('all')
  connect_webview_id?: string;

  @ListParam()
  @IsUUID('all', { each: true })
  device_ids?: string[];

  @Expose()
  @IsOptional()
  @IsString()
  @BoundedLength('identifier')
  device_type?: string;

  @ListParam()
  @IsString({ each: true })
  @BoundedLength('identifier', true)
  device_types?: string[];

  @Expose()
  @IsOptional()
  @IsString()
  @BoundedLength('identifier')
  manufacturer?: string;

  @SearchParam()
  search?: string;

  // Devices carry no customer key or user identity here; spaces, locations and conditions are not served.
  @Unsupported()
  customer_key?: unknown;

  @Unsupported()
  user_identifier_key?: unknown;

  @Unsupported()
  space_id?: unknown;

  @Unsupported()
  unstable_location_id?: unknown;

  @Unsupported()
  include_if?: unknown;

  @Unsupported()
  exclude_if?: unknown;

  @RawParam('custom_metadata_filter')
  custom_metadata_has?: unknown;

  @Expose()
  @IsOptional()
  @TimeParam()
  created_before?: string;
}

@Controller()
export class DevicesController {
  constructor(
    @Inject(CommandBus) private readonly commandBus: CommandBus,
    @Inject(QueryBus) private readonly queryBus: QueryBus,
    @Inject(ReadYourWrites) private readonly readYourWrites: ReadYourWrites,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  @SeamRoute('devices/get', ['GET', 'POST'])
  async get(@CurrentCaller() caller: Caller, @SeamInput(GetDeviceDto) input: GetDeviceDto) {
    const device = await this.queryBus.execute(
      new GetDeviceQuery(
        caller.workspaceId,
        input.device_id !== undefined ? { deviceId: input.device_id } : { name: input.name! },
        asOfDate(input.as_of),
      ),
    );
    return { device, ok: true };
  }

  @SeamRoute('devices/list', ['GET', 'POST'])
  async list(@CurrentCaller() caller: Caller, @SeamInput(ListDevicesDto) input: ListDevicesDto) {
    const customMetadataHas =
      input.custom_metadata_has === undefined ? undefined : parseCustomMetadataFilter(input.custom_metadata_has);
    const deviceTypes = [...(input.device_type ? [input.device_type] : []), ...(input.device_types ?? [])];
    const accountIds = [
      ...(input.connected_account_id ? [input.connected_account_id] : []),
      ...(input.connected_account_ids ?? []),
    ];
    const { page, nextPageUrl } = listPage(this.config, 'devices/list', {
      ...input,
      custom_metadata_has: customMetadataHas,
    });
    const filter = {
      connectedAccountIds: accountIds.length > 0 ? accountIds : undefined,
      connectWebviewId: input.connect_webview_id,
      deviceIds: input.device_ids,
      deviceTypes: deviceTypes.length > 0 ? deviceTypes : undefined,
      manufacturer: input.manufacturer,
      search: input.search,
      customMetadataHas,
      createdBefore: input.created_before === undefined ? undefined : new Date(input.created_before).toISOString(),
    };
    const { items, pagination } = await this.queryBus.execute(
      new ListDevicesQuery(caller.workspaceId, filter, page, nextPageUrl),
    );
    return { devices: items, pagination, ok: true };
  }

  @SeamWriteRoute('devices/update', ['PATCH', 'POST'])
  async update(@CurrentCaller() caller: Caller, @SeamInput(UpdateDeviceDto) input: UpdateDeviceDto) {
    const customMetadata =
      input.custom_metadata === undefined ? undefined : parseCustomMetadataInput(input.custom_metadata);
    const { position } = await this.commandBus.execute(
      new DeviceCommandMessage({
        type: 'UpdateDevice',
        deviceId: input.device_id,
        workspaceId: caller.workspaceId,
        name: input.name,
        customMetadata,
        ...commandMeta(caller),
      }),
    );
    await this.readYourWrites.waitFor(position);
    return { ok: true };
  }
}
