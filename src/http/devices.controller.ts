import { Controller, Inject } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { Expose, Type } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsString, IsUUID, ValidateIf, ValidateNested } from 'class-validator';
import { BoundedLength, TimeParam } from './string-limits.js';
import type { AppConfig } from '../common/config.js';
import { parseCustomMetadataInput } from '../custom-metadata/custom-metadata.js';
import { metadataFilters, ResourceListDto } from './metadata-filters.js';
import { commandMeta, CurrentCaller, type Caller } from './caller.js';
import { listPage } from './list-pages.js';
import {
  asOfDate,
  ForeignIdParam,
  ForeignKeyParam,
  RawParam,
  SearchParam,
  SeamInput,
  Unsupported,
  ListParam,
} from './seam-input.js';
import { SeamRoute, SeamWriteRoute } from './seam-route.js';
import { CONFIG } from '../common/tokens.js';
import { type DeviceFilter } from '../devices/index.js';
import { DeviceCommandMessage, GetDeviceQuery, ListDevicesQuery } from '../devices/nest.js';
import { CAPABILITY_FLAGS, type CapabilityFlag, type DeviceKind } from '../providers/providers.js';
import { invalidInput } from './seam-error.js';
import { ReadYourWrites } from '../read-models/read-your-writes.js';
import { answerAt, answerJson } from './log-position.interceptor.js';
import {
  customMetadataRevisionHeader,
  ExpectedCustomMetadataRevision,
  withCustomMetadataRevision,
} from './custom-metadata-revision.js';

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

export class DevicePropertiesDto {
  @Expose()
  @IsOptional()
  @IsString()
  @BoundedLength('name')
  name?: string | null;
}

export class UpdateDeviceDto extends DeviceIdDto {
  /** `null` gives the device back the name its provider reported. */
  @Expose()
  @IsOptional()
  @IsString()
  @BoundedLength('name')
  name?: string | null;

  /** Seam's alias of `name`: `properties.name`. */
  @Expose()
  @IsOptional()
  @ValidateNested()
  @Type(() => DevicePropertiesDto)
  properties?: DevicePropertiesDto;

  /** `false` makes it an unmanaged device: it leaves `devices/list` for `devices/unmanaged/list`. */
  @Expose()
  @IsOptional()
  @IsBoolean()
  is_managed?: boolean;

  // No device here has backup access codes.
  @Unsupported()
  backup_access_code_pool_enabled?: unknown;

  /** Merged into the device's metadata ("add or change"; `null` removes a key). */
  @RawParam('custom_metadata')
  custom_metadata?: unknown;

  @ExpectedCustomMetadataRevision()
  expected_custom_metadata_revision?: number;
}

export class UpdateUnmanagedDeviceDto extends DeviceIdDto {
  /** `true` manages it again, with its metadata and history. */
  @Expose()
  @IsOptional()
  @IsBoolean()
  is_managed?: boolean;

  @RawParam('custom_metadata')
  custom_metadata?: unknown;

  @ExpectedCustomMetadataRevision()
  expected_custom_metadata_revision?: number;
}

export class ListDevicesDto extends ResourceListDto {
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

  /** The devices of the accounts associated with that customer. */
  @Expose()
  @IsOptional()
  @IsString()
  @BoundedLength('customer_key')
  customer_key?: string;

  /** Devices with every one of these capability flags true. */
  @ListParam()
  @IsIn(CAPABILITY_FLAGS, { each: true })
  include_if?: CapabilityFlag[];

  /** Devices with none of these capability flags true. */
  @ListParam()
  @IsIn(CAPABILITY_FLAGS, { each: true })
  exclude_if?: CapabilityFlag[];

  // No device here belongs to a user identity, a space or a location: these match nothing, as at Seam.
  @ForeignKeyParam()
  user_identifier_key?: string;

  @ForeignIdParam()
  space_id?: string;

  @ForeignIdParam()
  unstable_location_id?: string;

  @Expose()
  @IsOptional()
  @TimeParam()
  created_before?: string;
}

/** How each of Seam's device routes sees the devices, and what it calls them in its answer. */
const LOCKS = { managed: true, kind: 'lock', many: 'locks', one: 'lock' } as const;
const THERMOSTATS = { managed: true, kind: 'thermostat', many: 'thermostats', one: 'thermostat' } as const;
const NOISE_SENSORS = { managed: true, kind: 'noise_sensor', many: 'noise_sensors', one: 'noise_sensor' } as const;
type DeviceRoute = { managed: boolean; kind?: DeviceKind; many?: string; one?: string };

@Controller()
export class DevicesController {
  constructor(
    @Inject(CommandBus) private readonly commandBus: CommandBus,
    @Inject(QueryBus) private readonly queryBus: QueryBus,
    @Inject(ReadYourWrites) private readonly readYourWrites: ReadYourWrites,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  @SeamRoute('devices/get', ['GET', 'POST'])
  get(@CurrentCaller() caller: Caller, @SeamInput(GetDeviceDto) input: GetDeviceDto) {
    return this.getDevice(caller, input, { managed: true });
  }

  @SeamRoute('devices/unmanaged/get', ['GET', 'POST'])
  getUnmanaged(@CurrentCaller() caller: Caller, @SeamInput(GetDeviceDto) input: GetDeviceDto) {
    return this.getDevice(caller, input, { managed: false });
  }

  @SeamRoute('locks/get', ['GET', 'POST'])
  getLock(@CurrentCaller() caller: Caller, @SeamInput(GetDeviceDto) input: GetDeviceDto) {
    return this.getDevice(caller, input, LOCKS);
  }

  @SeamRoute('thermostats/get', ['GET', 'POST'])
  getThermostat(@CurrentCaller() caller: Caller, @SeamInput(GetDeviceDto) input: GetDeviceDto) {
    return this.getDevice(caller, input, THERMOSTATS);
  }

  @SeamRoute('devices/list', ['GET', 'POST'])
  list(@CurrentCaller() caller: Caller, @SeamInput(ListDevicesDto) input: ListDevicesDto) {
    return this.listDevices(caller, input, 'devices/list', { managed: true });
  }

  @SeamRoute('devices/unmanaged/list', ['GET', 'POST'])
  listUnmanaged(@CurrentCaller() caller: Caller, @SeamInput(ListDevicesDto) input: ListDevicesDto) {
    return this.listDevices(caller, input, 'devices/unmanaged/list', { managed: false });
  }

  @SeamRoute('locks/list', ['GET', 'POST'])
  listLocks(@CurrentCaller() caller: Caller, @SeamInput(ListDevicesDto) input: ListDevicesDto) {
    return this.listDevices(caller, input, 'locks/list', LOCKS);
  }

  @SeamRoute('thermostats/list', ['GET', 'POST'])
  listThermostats(@CurrentCaller() caller: Caller, @SeamInput(ListDevicesDto) input: ListDevicesDto) {
    return this.listDevices(caller, input, 'thermostats/list', THERMOSTATS);
  }

  @SeamRoute('noise_sensors/list', ['GET', 'POST'])
  listNoiseSensors(@CurrentCaller() caller: Caller, @SeamInput(ListDevicesDto) input: ListDevicesDto) {
    return this.listDevices(caller, input, 'noise_sensors/list', NOISE_SENSORS);
  }

  @SeamWriteRoute('devices/update', ['PATCH', 'POST'])
  async update(@CurrentCaller() caller: Caller, @SeamInput(UpdateDeviceDto) input: UpdateDeviceDto) {
    const aliased = input.properties?.name;
    if (input.name !== undefined && aliased !== undefined && input.name !== aliased) {
      throw invalidInput([{ path: ['properties', 'name'], message: 'Differs from name: give one of them' }]);
    }
    return this.updateDevice(caller, input, { managed: true, name: input.name !== undefined ? input.name : aliased });
  }

  @SeamWriteRoute('devices/unmanaged/update', ['PATCH', 'POST'])
  updateUnmanaged(
    @CurrentCaller() caller: Caller,
    @SeamInput(UpdateUnmanagedDeviceDto) input: UpdateUnmanagedDeviceDto,
  ) {
    return this.updateDevice(caller, input, { managed: false });
  }

  private async getDevice(caller: Caller, input: GetDeviceDto, route: DeviceRoute) {
    const device = await this.queryBus.execute(
      new GetDeviceQuery(
        caller.workspaceId,
        input.device_id !== undefined ? { deviceId: input.device_id } : { name: input.name! },
        route,
        asOfDate(input.as_of),
      ),
    );
    const body = { ...(route.one ? { [route.one]: device } : {}), device, ok: true };
    const resource = { type: 'device', idField: 'device_id', id: device.device_id } as const;
    return withCustomMetadataRevision(this.queryBus, resource, body, input.as_of);
  }

  private async listDevices(caller: Caller, input: ListDevicesDto, path: string, route: DeviceRoute) {
    const { customMetadataHas, customMetadataMatch, asOf, params } = metadataFilters(input);
    const deviceTypes = [...(input.device_type ? [input.device_type] : []), ...(input.device_types ?? [])];
    const accountIds = [
      ...(input.connected_account_id ? [input.connected_account_id] : []),
      ...(input.connected_account_ids ?? []),
    ];
    const { page, nextPageUrl } = listPage(this.config, path, { ...input, ...params });
    const filter: DeviceFilter = {
      managed: route.managed,
      kind: route.kind,
      matchesNothing:
        input.user_identifier_key !== undefined ||
        input.space_id !== undefined ||
        input.unstable_location_id !== undefined,
      customerKey: input.customer_key,
      includeIf: input.include_if,
      excludeIf: input.exclude_if,
      connectedAccountIds: accountIds.length > 0 ? accountIds : undefined,
      connectWebviewId: input.connect_webview_id,
      deviceIds: input.device_ids,
      deviceTypes: deviceTypes.length > 0 ? deviceTypes : undefined,
      manufacturer: input.manufacturer,
      search: input.search,
      customMetadataHas,
      customMetadataMatch,
      asOf,
      createdBefore: input.created_before === undefined ? undefined : new Date(input.created_before).toISOString(),
    };
    const { items, pagination } = await this.queryBus.execute(
      new ListDevicesQuery(caller.workspaceId, filter, page, nextPageUrl),
    );
    if (!route.many) return answerJson({ devices: items, pagination, ok: true });
    // Seam's kind lists answer no `pagination`: it is there only for a caller that pages.
    const paged = input.limit !== undefined || input.page_cursor !== undefined;
    return answerJson({ [route.many]: items, devices: items, ...(paged ? { pagination } : {}), ok: true });
  }

  private async updateDevice(
    caller: Caller,
    input: {
      device_id: string;
      is_managed?: boolean;
      custom_metadata?: unknown;
      expected_custom_metadata_revision?: number;
    },
    how: { managed: boolean; name?: string | null },
  ) {
    const customMetadata =
      input.custom_metadata === undefined ? undefined : parseCustomMetadataInput(input.custom_metadata);
    const { position, customMetadataRevision } = await this.commandBus.execute(
      new DeviceCommandMessage({
        type: 'UpdateDevice',
        deviceId: input.device_id,
        workspaceId: caller.workspaceId,
        managed: how.managed,
        name: how.name,
        isManaged: input.is_managed,
        customMetadata,
        expectedCustomMetadataRevision: input.expected_custom_metadata_revision,
        ...commandMeta(caller),
      }),
    );
    await this.readYourWrites.waitFor(position);
    return answerAt(position, { ok: true }, customMetadataRevisionHeader(customMetadataRevision));
  }
}
