import { InvalidCommand, NotFound } from '../common/domain-errors.js';
import {
  EMPTY_CUSTOM_METADATA,
  mergeCustomMetadata,
  type CustomMetadata,
  type CustomMetadataPatch,
} from '../custom-metadata/custom-metadata.js';
import { metadataSet, metadataUpdated, type MetadataSet } from '../custom-metadata/metadata-set.js';
import type { CommandMeta, Decider } from '../event-store/decider.js';
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
  created_at: string;
}

export type DeviceEvent =
  | { type: 'DeviceAdded'; data: DeviceAddedData }
  | { type: 'DeviceRenamed'; data: { device_id: string; workspace_id: string; name: string } }
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
        name?: string;
        customMetadata?: CustomMetadataPatch;
      }
    | { type: 'DeleteDevice'; deviceId: string; workspaceId: string; connectedAccountId: string }
  );

export interface DeviceState {
  exists: boolean;
  workspaceId: string | null;
  name: string;
  customMetadata: CustomMetadata;
  deletedAt: string | null;
}

export const MAX_DEVICE_NAME_LENGTH = 200;

export const deviceDecider: Decider<DeviceCommand, DeviceEvent, DeviceState> = {
  initialState: () => ({
    exists: false,
    workspaceId: null,
    name: '',
    customMetadata: EMPTY_CUSTOM_METADATA,
    deletedAt: null,
  }),

  evolve(state, event) {
    switch (event.type) {
      case 'DeviceAdded':
        return { ...state, exists: true, workspaceId: event.data.workspace_id, name: event.data.name };
      case 'DeviceRenamed':
        return { ...state, name: event.data.name };
      case 'MetadataSet':
        return { ...state, customMetadata: event.data.custom_metadata };
      case 'DeviceDeleted':
        return {
          ...deviceDecider.initialState(),
          workspaceId: event.data.workspace_id,
          deletedAt: event.data.deleted_at,
        };
      default:
        return state;
    }
  },

  decide(command, state) {
    switch (command.type) {
      case 'AddDevice': {
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
      case 'UpdateDevice': {
        if (!state.exists || state.workspaceId !== command.workspaceId) {
          throw new NotFound('device', 'device_id', command.deviceId);
        }
        const events: DeviceEvent[] = [];
        if (command.name !== undefined) {
          const name = command.name.trim();
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
          events.push(
            ...metadataUpdated(
              { resource_type: 'device', resource_id: command.deviceId, workspace_id: command.workspaceId },
              state.customMetadata,
              mergeCustomMetadata(state.customMetadata, command.customMetadata),
              command.actor,
              command.now,
            ),
          );
        }
        return events;
      }
      case 'DeleteDevice':
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
  },
};
