import { InvalidCommand, NotFound } from '../common/domain-errors.js';
import {
  EMPTY_CUSTOM_METADATA,
  replaceCustomMetadata,
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
        /** Copied from the webview that created it; absent before it was kept. */
        customer_key?: string | null;
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
      /** `connected_accounts/update`: only the settings it changed. */
      type: 'ConnectedAccountSettingsChanged';
      data: { connected_account_id: string; workspace_id: string } & Partial<ConnectedAccountSettings>;
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

/** What `connected_accounts/update` sets besides the metadata. */
export interface ConnectedAccountSettings {
  automatically_manage_new_devices: boolean;
  /** Shown instead of the login's email. */
  display_name: string;
  /** Set once: an account already associated with a customer keeps it. */
  customer_key: string;
  /** The kinds of device it takes: its provider's devices of other kinds are not added. */
  accepted_capabilities: ProviderCapability[];
}

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
        /** The webview's: the account it creates is associated with that customer. */
        customerKey?: string | null;
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
        settings?: Partial<ConnectedAccountSettings>;
        /** Compare-and-set: refused unless the metadata is still at this revision (see MetadataRevision). */
        expectedCustomMetadataRevision?: number;
        /** The workspace's schemas, which the resulting metadata must satisfy (metadata-schema.ts). */
        metadataSchemas?: WorkspaceMetadataSchemas;
      }
    | { type: 'DisconnectConnectedAccount'; connectedAccountId: string; workspaceId: string }
    | { type: 'DeleteConnectedAccount'; connectedAccountId: string; workspaceId: string; deviceIds: string[] }
  );

export interface ConnectedAccountState extends MetadataRevision {
  exists: boolean;
  workspaceId: string | null;
  customMetadata: CustomMetadata;
  automaticallyManageNewDevices: boolean;
  acceptedCapabilities: readonly ProviderCapability[];
  customerKey: string | null;
  displayName: string | null;
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
    acceptedCapabilities: [],
    customerKey: null,
    displayName: null,
    disconnected: false,
    connections: 0,
    connectWebviewIds: [],
    metadataVersion: 0,
    deleted: null,
    ...NO_METADATA_REVISION,
  }),

  evolve: (state, event) => withMetadataRevision(state, event, evolveConnectedAccount(state, event)),

  decide(command, state) {
    switch (command.type) {
      case 'ConnectFromWebview':
        return decideConnectFromWebview(command, state);
      case 'UpdateConnectedAccount':
        return decideUpdateConnectedAccount(command, state);
      case 'DisconnectConnectedAccount':
        return decideDisconnectConnectedAccount(command, state);
      case 'DeleteConnectedAccount':
        return decideDeleteConnectedAccount(command, state);
      default:
        return unknownCommand(command);
    }
  },
};

function evolveConnectedAccount(state: ConnectedAccountState, event: ConnectedAccountEvent): ConnectedAccountState {
  switch (event.type) {
    case 'ConnectedAccountCreated':
      return {
        ...state,
        exists: true,
        workspaceId: event.data.workspace_id,
        automaticallyManageNewDevices: event.data.automatically_manage_new_devices,
        acceptedCapabilities: event.data.accepted_capabilities,
        customerKey: event.data.customer_key ?? null,
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
    case 'ConnectedAccountSettingsChanged': {
      const changed = event.data;
      return {
        ...state,
        automaticallyManageNewDevices: changed.automatically_manage_new_devices ?? state.automaticallyManageNewDevices,
        acceptedCapabilities: changed.accepted_capabilities ?? state.acceptedCapabilities,
        customerKey: changed.customer_key ?? state.customerKey,
        displayName: changed.display_name ?? state.displayName,
      };
    }
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
      return unknownEvent(event, state);
  }
}

type CommandOf<T extends ConnectedAccountCommand['type']> = Extract<ConnectedAccountCommand, { type: T }>;

function decideConnectFromWebview(
  command: CommandOf<'ConnectFromWebview'>,
  state: ConnectedAccountState,
): ConnectedAccountEvent[] {
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
          ...(command.customerKey ? { customer_key: command.customerKey } : {}),
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

function decideUpdateConnectedAccount(
  command: CommandOf<'UpdateConnectedAccount'>,
  state: ConnectedAccountState,
): ConnectedAccountEvent[] {
  requireAccount(state, command);
  assertMetadataRevision(command.expectedCustomMetadataRevision, state);
  const events: ConnectedAccountEvent[] = [];
  const changed = changedSettings(state, command.settings ?? {});
  if (Object.keys(changed).length > 0) {
    events.push({
      type: 'ConnectedAccountSettingsChanged',
      data: { connected_account_id: command.connectedAccountId, workspace_id: command.workspaceId, ...changed },
    });
  }
  if (command.customMetadata !== undefined) {
    const replaced = replaceCustomMetadata(command.customMetadata);
    assertMetadataSatisfiesSchema(replaced, command.metadataSchemas?.connected_account);
    events.push(
      ...metadataUpdated(
        {
          resource_type: 'connected_account',
          resource_id: command.connectedAccountId,
          workspace_id: command.workspaceId,
        },
        state.customMetadata,
        replaced,
        command.actor,
        command.now,
      ),
    );
  }
  return events;
}

function decideDisconnectConnectedAccount(
  command: CommandOf<'DisconnectConnectedAccount'>,
  state: ConnectedAccountState,
): ConnectedAccountEvent[] {
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
}

function decideDeleteConnectedAccount(
  command: CommandOf<'DeleteConnectedAccount'>,
  state: ConnectedAccountState,
): ConnectedAccountEvent[] {
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

/** The settings that differ from the account's; a second, different customer key is refused. */
function changedSettings(
  state: ConnectedAccountState,
  settings: Partial<ConnectedAccountSettings>,
): Partial<ConnectedAccountSettings> {
  const changed: Partial<ConnectedAccountSettings> = {};
  const { automatically_manage_new_devices: manage, display_name, customer_key, accepted_capabilities } = settings;
  if (manage !== undefined && manage !== state.automaticallyManageNewDevices) {
    changed.automatically_manage_new_devices = manage;
  }
  if (display_name !== undefined && display_name !== state.displayName) changed.display_name = display_name;
  if (customer_key !== undefined && customer_key !== state.customerKey) {
    if (state.customerKey !== null) {
      throw new InvalidCommand([
        { path: ['customer_key'], message: 'The connected account is already associated with a customer' },
      ]);
    }
    changed.customer_key = customer_key;
  }
  if (accepted_capabilities !== undefined) {
    const capabilities = [...new Set(accepted_capabilities)];
    const same =
      capabilities.length === state.acceptedCapabilities.length &&
      capabilities.every((c) => state.acceptedCapabilities.includes(c));
    if (!same) changed.accepted_capabilities = capabilities;
  }
  return changed;
}

function requireAccount(
  state: ConnectedAccountState,
  command: { connectedAccountId: string; workspaceId: string },
): void {
  if (!state.exists || state.workspaceId !== command.workspaceId) {
    throw new NotFound('connected_account', 'connected_account_id', command.connectedAccountId);
  }
}
