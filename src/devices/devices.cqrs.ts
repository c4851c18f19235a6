import { Inject } from '@nestjs/common';
import { Command, CommandHandler, Query, QueryHandler, type ICommandHandler, type IQueryHandler } from '@nestjs/cqrs';
import { NotFound } from '../common/domain-errors.js';
import type { SerializedJson } from '../common/json-template.js';
import type { SqliteDatabase } from '../common/sqlite.js';
import { connectedAccountReadModel } from '../connected-accounts/index.js';
import type { CommandOptions } from '../event-store/decider.js';
import type { MetadataWriteResult } from '../custom-metadata/metadata-set.js';
import { DeciderCommandHandler } from '../event-store/decider-command-handler.js';
import type { EventStore } from '../event-store/event-store.js';
import { streams } from '../event-store/streams.js';
import { AsOfReads } from '../read-models/as-of.js';
import { currentMetadataSchemas } from '../workspaces/index.js';
import type { PageRequest, Pagination } from '../read-models/pagination.js';
import { ReadModelDatabase } from '../read-models/read-model-database.js';
import type { DeviceKind } from '../providers/providers.js';
import { deviceDecider, type DeviceCommand } from './device.js';
import {
  deviceJson,
  deviceReadModel,
  findDevice,
  findDeviceIdByName,
  isDeviceOf,
  listDevices,
  toDeviceObject,
  toUnmanagedDeviceObject,
  type DeviceFilter,
} from './device.projection.js';

export type DeviceObject = ReturnType<typeof toDeviceObject> | ReturnType<typeof toUnmanagedDeviceObject>;

/** Which devices a get or a list route sees: managed or not, and of one kind (`locks/get`). */
export interface DeviceScope {
  managed: boolean;
  kind?: DeviceKind;
}

/** A device command on the command bus: the command, and the saga's event ids and correlation when it sends it. */
export class DeviceCommandMessage extends Command<MetadataWriteResult> {
  constructor(
    readonly command: DeviceCommand,
    readonly options: CommandOptions = {},
  ) {
    super();
  }
}

export class GetDeviceQuery extends Query<DeviceObject> {
  constructor(
    readonly workspaceId: string,
    readonly by: { deviceId: string } | { name: string },
    readonly scope: DeviceScope,
    /** The device as it was then, folded from its own stream and its account's. */
    readonly asOf?: Date,
  ) {
    super();
  }
}

/** A page of devices, each as its JSON (`deviceJson`): the list routes answer them as they are. */
export class ListDevicesQuery extends Query<{ items: SerializedJson[]; pagination: Pagination }> {
  constructor(
    readonly workspaceId: string,
    readonly filter: DeviceFilter,
    readonly page: PageRequest,
    readonly nextPageUrl: (cursor: string) => string,
  ) {
    super();
  }
}

export const deviceIdOf = (command: DeviceCommand): string =>
  command.type === 'AddDevice' ? command.device.device_id : command.deviceId;

/** Concurrent updates are re-decided on conflict, so none is lost. */
@CommandHandler(DeviceCommandMessage)
export class DeviceCommandHandler implements ICommandHandler<DeviceCommandMessage> {
  constructor(@Inject(DeciderCommandHandler) private readonly commands: DeciderCommandHandler) {}

  async execute({ command, options }: DeviceCommandMessage): Promise<MetadataWriteResult> {
    const streamId = streams.device(deviceIdOf(command));
    const checked =
      command.type === 'UpdateDevice' && command.customMetadata !== undefined
        ? { ...command, metadataSchemas: await currentMetadataSchemas(this.commands, command.workspaceId) }
        : command;
    const { position, state } = await this.commands.handle({ decider: deviceDecider, streamId }, checked, options);
    return { position, customMetadataRevision: state.customMetadataRevision };
  }
}

@QueryHandler(GetDeviceQuery)
export class GetDeviceHandler implements IQueryHandler<GetDeviceQuery> {
  constructor(
    @Inject(ReadModelDatabase) private readonly readModels: ReadModelDatabase,
    @Inject(AsOfReads) private readonly asOfReads: AsOfReads,
  ) {}

  async execute({ workspaceId, by, scope, asOf }: GetDeviceQuery) {
    const deviceId =
      'deviceId' in by ? by.deviceId : findDeviceIdByName(this.readModels.db, workspaceId, by.name, scope);
    if (deviceId === undefined) throw new NotFound('device', 'name', 'name' in by ? by.name : undefined);
    // The object is built inside `read`: the in-memory read models of an as-of are gone afterwards.
    const read = (db: SqliteDatabase) => {
      const row = findDevice(db, workspaceId, deviceId);
      if (!row || !isDeviceOf(row, scope.managed, scope.kind)) return undefined;
      return scope.managed ? toDeviceObject(row) : toUnmanagedDeviceObject(row);
    };
    const device = asOf
      ? await this.asOfReads.read(
          await deviceStreams(this.asOfReads.store, deviceId),
          asOf,
          [connectedAccountReadModel, deviceReadModel],
          read,
        )
      : read(this.readModels.db);
    if (!device) throw new NotFound('device', 'device_id', deviceId);
    return device;
  }
}

@QueryHandler(ListDevicesQuery)
export class ListDevicesHandler implements IQueryHandler<ListDevicesQuery> {
  constructor(@Inject(ReadModelDatabase) private readonly readModels: ReadModelDatabase) {}

  async execute({ workspaceId, filter, page, nextPageUrl }: ListDevicesQuery) {
    if (filter.asOf !== undefined) this.readModels.requireHistory(deviceReadModel.name);
    const { items, pagination } = listDevices(this.readModels.db, workspaceId, filter, page, nextPageUrl);
    return { items: items.map((row) => deviceJson(row, filter.managed)), pagination };
  }
}

/** A device's state depends on its account's (a disconnection shows on the device): fold both streams. */
async function deviceStreams(store: EventStore, deviceId: string): Promise<string[]> {
  const [added] = await store.readStream(streams.device(deviceId), { maxCount: 1 });
  const accountId = (added?.data as { connected_account_id?: string } | undefined)?.connected_account_id;
  return accountId ? [streams.device(deviceId), streams.connectedAccount(accountId)] : [streams.device(deviceId)];
}
