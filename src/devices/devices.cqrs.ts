import type { SqliteDatabase } from '../common/sqlite.js';
import { Inject } from '@nestjs/common';
import { deviceStreamsAsOf, readAsOf } from '../audit/audit.js';
import { Command, CommandHandler, Query, QueryHandler, type ICommandHandler, type IQueryHandler } from '@nestjs/cqrs';
import { notFound } from '../common/seam-error.js';
import type { CustomMetadataPatch } from '../custom-metadata/custom-metadata.js';
import { handleCommand } from '../event-store/decider.js';
import type { EventStore } from '../event-store/event-store.js';
import { streams } from '../event-store/streams.js';
import { actorOf, type Caller } from '../http/caller.js';
import type { PageRequest, Pagination } from '../read-models/pagination.js';
import { ReadModelDatabase } from '../read-models/read-model-database.js';
import { ReadYourWrites } from '../read-models/read-your-writes.js';
import { EVENT_STORE } from '../tokens.js';
import { deviceDecider } from './device.js';
import { findDevice, listDevices, toDeviceObject, type DeviceFilter } from './device.projection.js';

export type DeviceObject = ReturnType<typeof toDeviceObject>;

export class UpdateDeviceCommand extends Command<void> {
  constructor(
    readonly caller: Caller,
    readonly deviceId: string,
    readonly name: string | undefined,
    readonly customMetadata: CustomMetadataPatch | undefined,
  ) {
    super();
  }
}

export class GetDeviceQuery extends Query<DeviceObject> {
  constructor(
    readonly workspaceId: string,
    readonly deviceId: string,
    /** The device as it was then, folded from its own stream and its account's. */
    readonly asOf?: Date,
  ) {
    super();
  }
}

export class ListDevicesQuery extends Query<{ items: DeviceObject[]; pagination: Pagination }> {
  constructor(
    readonly workspaceId: string,
    readonly filter: DeviceFilter,
    readonly page: PageRequest,
    readonly nextPageUrl: (cursor: string) => string,
  ) {
    super();
  }
}

/** Merges metadata (`null` removes a key). Concurrent updates are re-decided on conflict, so none is lost. */
@CommandHandler(UpdateDeviceCommand)
export class UpdateDeviceHandler implements ICommandHandler<UpdateDeviceCommand> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(ReadYourWrites) private readonly readYourWrites: ReadYourWrites,
  ) {}

  async execute({ caller, deviceId, name, customMetadata }: UpdateDeviceCommand) {
    const { position } = await handleCommand(
      this.store,
      streams.device(deviceId),
      deviceDecider,
      { type: 'UpdateDevice', deviceId, workspaceId: caller.workspaceId, name, customMetadata, actor: actorOf(caller), now: new Date().toISOString() },
      { actor: actorOf(caller) },
    );
    await this.readYourWrites.waitFor(position);
  }
}

@QueryHandler(GetDeviceQuery)
export class GetDeviceHandler implements IQueryHandler<GetDeviceQuery> {
  constructor(
    @Inject(ReadModelDatabase) private readonly readModels: ReadModelDatabase,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  async execute({ workspaceId, deviceId, asOf }: GetDeviceQuery) {
    // The object is built inside `read`: the in-memory read models of an as-of are gone afterwards.
    const read = (db: SqliteDatabase) => {
      const row = findDevice(db, workspaceId, deviceId);
      return row ? toDeviceObject(row) : undefined;
    };
    const device = asOf ? await readAsOf(this.store, await deviceStreamsAsOf(this.store, deviceId), asOf, read) : read(this.readModels.db);
    if (!device) throw notFound('device', 'device_id', deviceId);
    return device;
  }
}

@QueryHandler(ListDevicesQuery)
export class ListDevicesHandler implements IQueryHandler<ListDevicesQuery> {
  constructor(@Inject(ReadModelDatabase) private readonly readModels: ReadModelDatabase) {}

  async execute(query: ListDevicesQuery) {
    const { items, pagination } = listDevices(this.readModels.db, query.workspaceId, query.filter, query.page, query.nextPageUrl);
    return { items: items.map(toDeviceObject), pagination };
  }
}
