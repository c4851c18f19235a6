import { InvalidCommand, NotFound } from '../common/domain-errors.js';
import {
  EMPTY_CUSTOM_METADATA,
  mergeCustomMetadata,
  type CustomMetadata,
  type CustomMetadataPatch,
} from '../custom-metadata/custom-metadata.js';
import {
  assertMetadataRevision,
  metadataSet,
  metadataUpdated,
  NO_METADATA_REVISION,
  withMetadataRevision,
  type MetadataRevision,
  type MetadataSet,
} from '../custom-metadata/metadata-set.js';
import { assertMetadataSatisfiesSchema, type WorkspaceMetadataSchemas } from '../custom-metadata/metadata-schema.js';
import { unknownCommand, unknownEvent, type CommandMeta, type Decider } from '../event-store/decider.js';
import type { Provider } from '../providers/providers.js';

/** A device, in `device-<id>`; its id is derived from its connected account and its key there. */
export interface DeviceAddedData {
  device_id: string;
  workspace_id: string;
  connected_account_id: string;
  /** The webview whose completion added it. */
  connect_webview_id: string;
  provider: Provider;
  device_type: string;
  name: string;
  model: string;
  /** False when its account does not manage new devices automatically; absent (true) before it was kept. */
  is_managed?: boolean;
  /** Its account's customer, when it has one. */
  customer_key?: string;
  created_at: string;
}

/** Seam's `devices/update {is_managed: false}` and `devices/unmanaged/update {is_managed: true}`. */
export interface DeviceManagementData {
  device_id: string;
  workspace_id: string;
  connected_account_id: string;
  converted_at: string;
}

export type DeviceEvent =
  | { type: 'DeviceAdded'; data: DeviceAddedData }
  | { type: 'DeviceRenamed'; data: { device_id: string; workspace_id: string; name: string } }
  | { type: 'DeviceConvertedToUnmanaged'; data: DeviceManagementData }
  | { type: 'DeviceConvertedToManaged'; data: DeviceManagementData }
  | {
      /** Deleted with its connected account, whose key (and so the device's) is destroyed next. */
      type: 'DeviceDeleted';
      data: { device_id: string; workspace_id: string; connected_account_id: string; deleted_at: string };
    }
  | MetadataSet;

export type DeviceCommand = CommandMeta &
  (
    | { type: 'AddDevice'; device: Omit<DeviceAddedData, 'created_at'> }
    | {
        type: 'UpdateDevice';
        deviceId: string;
        workspaceId: string;
        /** Which of Seam's routes asks: `devices/update` finds managed devices, `devices/unmanaged/update` the others. */
        managed: boolean;
        /** `null` gives it back the name its provider reported. */
        name?: string | null;
        isManaged?: boolean;
        customMetadata?: CustomMetadataPatch;
        /** Compare-and-set: refused unless the metadata is still at this revision (see MetadataRevision). */
        expectedCustomMetadataRevision?: number;
        /** The workspace's schemas, which the resulting metadata must satisfy (metadata-schema.ts). */
        metadataSchemas?: WorkspaceMetadataSchemas;
      }
    | { type: 'DeleteDevice'; deviceId: string; workspaceId: string; connectedAccountId: string }
  );

export interface DeviceState extends MetadataRevision {
  exists: boolean;
  workspaceId: string | null;
  connectedAccountId: string | null;
  name: string;
  /** The name its provider reported. */
  providerName: string;
  isManaged: boolean;
  customMetadata: CustomMetadata;
  deletedAt: string | null;
}

export const MAX_DEVICE_NAME_LENGTH = 200;

export const deviceDecider: Decider<DeviceCommand, DeviceEvent, DeviceState> = {
  initialState: () => ({
    exists: false,
    workspaceId: null,
    connectedAccountId: null,
    name: '',
    providerName: '',
    isManaged: true,
    customMetadata: EMPTY_CUSTOM_METADATA,
    deletedAt: null,
    ...NO_METADATA_REVISION,
  }),

  evolve: (state, event) => withMetadataRevision(state, event, evolveDevice(state, event)),

  decide(command, state) {
    switch (command.type) {
      case 'AddDevice':
        return decideAddDevice(command, state);
      case 'UpdateDevice':
        return decideUpdateDevice(command, state);
      case 'DeleteDevice':
        return decideDeleteDevice(command, state);
      default:
        return unknownCommand(command);
    }
  },
};

function evolveDevice(state: DeviceState, event: DeviceEvent): DeviceState {
  switch (event.type) {
    case 'DeviceAdded':
      return {
        ...state,
        exists: true,
        workspaceId: event.data.workspace_id,
        connectedAccountId: event.data.connected_account_id,
        name: event.data.name,
        providerName: event.data.name,
        isManaged: event.data.is_managed ?? true,
      };
    case 'DeviceRenamed':
      return { ...state, name: event.data.name };
    case 'DeviceConvertedToUnmanaged':
      return { ...state, isManaged: false };
    case 'DeviceConvertedToManaged':
      return { ...state, isManaged: true };
    case 'MetadataSet':
      return { ...state, customMetadata: event.data.custom_metadata };
    case 'DeviceDeleted':
      return {
        ...deviceDecider.initialState(),
        workspaceId: event.data.workspace_id,
        deletedAt: event.data.deleted_at,
      };
    default:
      return unknownEvent(event, state);
  }
}

type CommandOf<T extends DeviceCommand['type']> = Extract<DeviceCommand, { type: T }>;

function decideAddDevice(command: CommandOf<'AddDevice'>, state: DeviceState): DeviceEvent[] {
  // Existing devices keep everything, their metadata included; a deleted one is not added again.
  if (state.exists || state.deletedAt) return [];
  const { device } = command;
  return [
    { type: 'DeviceAdded', data: { ...device, created_at: command.now } },
    metadataSet(
      { resource_type: 'device', resource_id: device.device_id, workspace_id: device.workspace_id },
      EMPTY_CUSTOM_METADATA,
      EMPTY_CUSTOM_METADATA,
      { type: 'created' },
      command.actor,
      command.now,
    ),
  ];
}

function decideUpdateDevice(command: CommandOf<'UpdateDevice'>, state: DeviceState): DeviceEvent[] {
  if (!state.exists || state.workspaceId !== command.workspaceId || state.isManaged !== command.managed) {
    throw new NotFound('device', 'device_id', command.deviceId);
  }
  assertMetadataRevision(command.expectedCustomMetadataRevision, state);
  const events: DeviceEvent[] = [];
  if (command.name !== undefined) {
    const name = command.name === null ? state.providerName : command.name.trim();
    if (name.length === 0 || name.length > MAX_DEVICE_NAME_LENGTH) {
      throw new InvalidCommand([
        { path: ['name'], message: `String must contain 1 to ${MAX_DEVICE_NAME_LENGTH} character(s)` },
      ]);
    }
    if (name !== state.name) {
      events.push({
        type: 'DeviceRenamed',
        data: { device_id: command.deviceId, workspace_id: command.workspaceId, name },
      });
    }
  }
  if (command.customMetadata !== undefined) {
    const merged = mergeCustomMetadata(state.customMetadata, command.customMetadata);
    assertMetadataSatisfiesSchema(merged, command.metadataSchemas?.device);
    events.push(
      ...metadataUpdated(
        { resource_type: 'device', resource_id: command.deviceId, workspace_id: command.workspaceId },
        state.customMetadata,
        merged,
        command.actor,
        command.now,
      ),
    );
  }
  // Last, so that a rename or a metadata change in the same call is announced while the device is still on
  // the list its caller named.
  if (command.isManaged !== undefined && command.isManaged !== state.isManaged) {
    const data = {
      device_id: command.deviceId,
      workspace_id: command.workspaceId,
      connected_account_id: state.connectedAccountId!,
      converted_at: command.now,
    };
    events.push(
      command.isManaged ? { type: 'DeviceConvertedToManaged', data } : { type: 'DeviceConvertedToUnmanaged', data },
    );
  }
  return events;
}

function decideDeleteDevice(command: CommandOf<'DeleteDevice'>, state: DeviceState): DeviceEvent[] {
  if (!state.exists) return [];
  return [
    {
      type: 'DeviceDeleted',
      data: {
        device_id: command.deviceId,
        workspace_id: command.workspaceId,
        connected_account_id: command.connectedAccountId,
        deleted_at: command.now,
      },
    },
  ];
}
