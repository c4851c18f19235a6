import { NotFound } from '../common/domain-errors.js';
import {
  EMPTY_CUSTOM_METADATA,
  replaceCustomMetadata,
  type CustomMetadata,
  type CustomMetadataPatch,
} from '../custom-metadata/custom-metadata.js';
import { metadataSet, metadataUpdated, type MetadataSet } from '../custom-metadata/metadata-set.js';
import type { CommandMeta, Decider } from '../event-store/decider.js';
import type { Provider, ProviderCapability } from '../providers/providers.js';

/** A connected account, in `connected_account-<id>`; its id is derived from (workspace, provider, email). */
export type ConnectedAccountEvent =
  | {
      type: 'ConnectedAccountCreated';
      data: {
        connected_account_id: string;
        workspace_id: string;
        provider: Provider;
        /** Schema v2; v1 had a bare `email` (see schema-upcasters.ts). */
        user_identifier: { email: string };
        connect_webview_id: string;
        automatically_manage_new_devices: boolean;
        accepted_capabilities: ProviderCapability[];
        created_at: string;
      };
    }
  | {
      type: 'ConnectedAccountReconnected';
      data: { connected_account_id: string; workspace_id: string; connect_webview_id: string; reconnected_at: string };
    }
  | {
      type: 'ConnectedAccountDisconnected';
      data: { connected_account_id: string; workspace_id: string; disconnected_at: string };
    }
  | {
      type: 'ConnectedAccountSettingsChanged';
      data: { connected_account_id: string; workspace_id: string; automatically_manage_new_devices: boolean };
    }
  | {
      /**
       * `connected_accounts/delete`: the account's key is destroyed next, so everything before this in its
       * stream (and in its devices') reads as erased. Sealed under the workspace's key: it stays readable.
       */
      type: 'ConnectedAccountDeleted';
      data: { connected_account_id: string; workspace_id: string; device_ids: string[]; deleted_at: string };
    }
  | MetadataSet;

export type ConnectedAccountCommand = CommandMeta &
  (
    | {
        type: 'ConnectFromWebview';
        connectedAccountId: string;
        workspaceId: string;
        provider: Provider;
        email: string;
        connectWebviewId: string;
        webviewMetadata: CustomMetadata;
        automaticallyManageNewDevices: boolean;
        acceptedCapabilities: ProviderCapability[];
        /**
         * The account's `metadataVersion` when the completion was accepted. A reconnection replaces the
         * metadata only if it is still that version: an API update answered after the completion wins.
         */
        replacesMetadataVersion?: number;
      }
    | {
        type: 'UpdateConnectedAccount';
        connectedAccountId: string;
        workspaceId: string;
        customMetadata?: CustomMetadataPatch;
        automaticallyManageNewDevices?: boolean;
      }
    | { type: 'DisconnectConnectedAccount'; connectedAccountId: string; workspaceId: string }
    | { type: 'DeleteConnectedAccount'; connectedAccountId: string; workspaceId: string; deviceIds: string[] }
  );

export interface ConnectedAccountState {
  exists: boolean;
  workspaceId: string | null;
  customMetadata: CustomMetadata;
  automaticallyManageNewDevices: boolean;
  disconnected: boolean;
  /** How many times a webview connected it: the first connection is 1. */
  connections: number;
  /** Webviews already applied, so a repeated saga step changes nothing. */
  connectWebviewIds: readonly string[];
  /** How many times its metadata was set: what a completion captures, to know whether it changed since. */
  metadataVersion: number;
  /** Deleted (`exists` is then false), with the devices deleted with it. */
  deleted: { at: string; deviceIds: readonly string[] } | null;
}

export const connectedAccountDecider: Decider<ConnectedAccountCommand, ConnectedAccountEvent, ConnectedAccountState> = {
  initialState: () => ({
    exists: false,
    workspaceId: null,
    customMetadata: EMPTY_CUSTOM_METADATA,
    automaticallyManageNewDevices: true,
    disconnected: false,
    connections: 0,
    connectWebviewIds: [],
    metadataVersion: 0,
    deleted: null,
  }),

  evolve(state, event) {
    switch (event.type) {
      case 'ConnectedAccountCreated':
        return {
          ...state,
          exists: true,
          workspaceId: event.data.workspace_id,
          automaticallyManageNewDevices: event.data.automatically_manage_new_devices,
          connections: 1,
          connectWebviewIds: [event.data.connect_webview_id],
        };
      case 'ConnectedAccountReconnected':
        return {
          ...state,
          disconnected: false,
          connections: state.connections + 1,
          connectWebviewIds: [...state.connectWebviewIds, event.data.connect_webview_id],
        };
      case 'ConnectedAccountDisconnected':
        return { ...state, disconnected: true };
      case 'ConnectedAccountSettingsChanged':
        return { ...state, automaticallyManageNewDevices: event.data.automatically_manage_new_devices };
      case 'MetadataSet':
        return { ...state, customMetadata: event.data.custom_metadata, metadataVersion: state.metadataVersion + 1 };
      case 'ConnectedAccountDeleted':
        // What it was is erased: only that it was, and when.
        return {
          ...connectedAccountDecider.initialState(),
          workspaceId: event.data.workspace_id,
          deleted: { at: event.data.deleted_at, deviceIds: event.data.device_ids },
        };
      default:
        return state;
    }
  },

  decide(command, state) {
    switch (command.type) {
      case 'ConnectFromWebview': {
        if (state.connectWebviewIds.includes(command.connectWebviewId)) return [];
        if (state.deleted) throw new NotFound('connected_account', 'connected_account_id', command.connectedAccountId);
        const resource = {
          resource_type: 'connected_account' as const,
          resource_id: command.connectedAccountId,
          workspace_id: command.workspaceId,
        };
        const cause = (type: 'webview_inherited' | 'webview_replaced') => ({
          type,
          connect_webview_id: command.connectWebviewId,
        });
        if (!state.exists) {
          return [
            {
              type: 'ConnectedAccountCreated',
              data: {
                connected_account_id: command.connectedAccountId,
                workspace_id: command.workspaceId,
                provider: command.provider,
                user_identifier: { email: command.email },
                connect_webview_id: command.connectWebviewId,
                automatically_manage_new_devices: command.automaticallyManageNewDevices,
                accepted_capabilities: command.acceptedCapabilities,
                created_at: command.now,
              },
            },
            metadataSet(
              resource,
              EMPTY_CUSTOM_METADATA,
              command.webviewMetadata,
              cause('webview_inherited'),
              command.actor,
              command.now,
            ),
          ];
        }
        const reconnected: ConnectedAccountEvent = {
          type: 'ConnectedAccountReconnected',
          data: {
            connected_account_id: command.connectedAccountId,
            workspace_id: command.workspaceId,
            connect_webview_id: command.connectWebviewId,
            reconnected_at: command.now,
          },
        };
        // A webview with metadata replaces the account's entirely; one without leaves it as it is. So does
        // one whose completion an API update followed: of the two, the later change wins.
        if (Object.keys(command.webviewMetadata).length === 0) return [reconnected];
        const changedSinceCompletion =
          command.replacesMetadataVersion !== undefined && command.replacesMetadataVersion !== state.metadataVersion;
        if (changedSinceCompletion) return [reconnected];
        return [
          reconnected,
          metadataSet(
            resource,
            state.customMetadata,
            command.webviewMetadata,
            cause('webview_replaced'),
            command.actor,
            command.now,
          ),
        ];
      }

      case 'UpdateConnectedAccount': {
        requireAccount(state, command);
        const events: ConnectedAccountEvent[] = [];
        if (
          command.automaticallyManageNewDevices !== undefined &&
          command.automaticallyManageNewDevices !== state.automaticallyManageNewDevices
        ) {
          events.push({
            type: 'ConnectedAccountSettingsChanged',
            data: {
              connected_account_id: command.connectedAccountId,
              workspace_id: command.workspaceId,
              automatically_manage_new_devices: command.automaticallyManageNewDevices,
            },
          });
        }
        if (command.customMetadata !== undefined) {
          events.push(
            ...metadataUpdated(
              {
                resource_type: 'connected_account',
                resource_id: command.connectedAccountId,
                workspace_id: command.workspaceId,
              },
              state.customMetadata,
              replaceCustomMetadata(command.customMetadata),
              command.actor,
              command.now,
            ),
          );
        }
        return events;
      }

      case 'DisconnectConnectedAccount':
        requireAccount(state, command);
        if (state.disconnected) return [];
        return [
          {
            type: 'ConnectedAccountDisconnected',
            data: {
              connected_account_id: command.connectedAccountId,
              workspace_id: command.workspaceId,
              disconnected_at: command.now,
            },
          },
        ];

      case 'DeleteConnectedAccount':
        requireAccount(state, command);
        return [
          {
            type: 'ConnectedAccountDeleted',
            data: {
              connected_account_id: command.connectedAccountId,
              workspace_id: command.workspaceId,
              device_ids: command.deviceIds,
              deleted_at: command.now,
            },
          },
        ];
    }
  },
};

function requireAccount(
  state: ConnectedAccountState,
  command: { connectedAccountId: string; workspaceId: string },
): void {
  if (!state.exists || state.workspaceId !== command.workspaceId) {
    throw new NotFound('connected_account', 'connected_account_id', command.connectedAccountId);
  }
}
