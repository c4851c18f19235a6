import { deterministicId } from '../common/deterministic-id.js';
import type { ConnectWebviewEvent } from '../connect-webviews/index.js';
import { accountDisconnectedError, type ConnectedAccountEvent } from '../connected-accounts/index.js';
import { hasChanges, type CustomMetadata } from '../custom-metadata/custom-metadata.js';
import type { MetadataSet } from '../custom-metadata/metadata-set.js';
import type { DeviceEvent } from '../devices/index.js';
import type { RecordedEventOf } from '../read-models/projection.js';
import type { PublicEvent, PublicEventType } from './public-event.js';

type SourceEvent = RecordedEventOf<ConnectWebviewEvent | ConnectedAccountEvent | DeviceEvent>;

/** What the public events snapshot: each resource's metadata now, and which account a device belongs to. */
export interface ResourceSnapshots {
  metadataOf(resourceType: 'connect_webview' | 'connected_account' | 'device', resourceId: string): CustomMetadata;
  accountOfDevice(deviceId: string): string | undefined;
  devicesOfAccount(accountId: string): { device_id: string; custom_metadata: CustomMetadata }[];
  /** Whether the account is disconnected now, and whether its next completion announces it connected. */
  accountConnection(accountId: string): { disconnected: boolean; connectedEventDue: boolean };
}

/**
 * The public events one domain event gives, each with the metadata of its resources at that moment, read
 * from `snapshots`. A public event's id derives from its domain event's, so a rebuild gives the same ones.
 */
export function publicEventsOf(event: SourceEvent, snapshots: ResourceSnapshots): PublicEvent[] {
  const make = publicEventMaker(event);
  const accountMetadata = (accountId: string) => snapshots.metadataOf('connected_account', accountId);
  switch (event.type) {
    case 'ConnectWebviewLoginFailed':
      return [
        make('connect_webview.login_failed', event.data.workspace_id, {
          connect_webview_id: event.data.connect_webview_id,
        }),
      ];

    // Its metadata is a copy of the webview's, recorded by the MetadataSet that follows in the same append.
    case 'ConnectedAccountCreated': {
      const { workspace_id, connect_webview_id, connected_account_id } = event.data;
      const connected_account_custom_metadata = snapshots.metadataOf('connect_webview', connect_webview_id);
      return [
        make('connected_account.created', workspace_id, {
          connected_account_id,
          connect_webview_id,
          connected_account_custom_metadata,
        }),
      ];
    }

    // The saga's last step: the account and its devices exist, their metadata is final for this completion.
    // `connected_account.connected` is Seam's "first connection, or reconnection after a disconnection".
    case 'ConnectWebviewAuthorized': {
      const { workspace_id, connect_webview_id, connected_account_id } = event.data;
      const fields = {
        connected_account_id,
        connect_webview_id,
        connected_account_custom_metadata: accountMetadata(connected_account_id),
      };
      return [
        ...(snapshots.accountConnection(connected_account_id).connectedEventDue
          ? [make('connected_account.connected', workspace_id, fields)]
          : []),
        make('connect_webview.login_succeeded', workspace_id, fields),
      ];
    }

    // A disconnected account's devices come back online.
    case 'ConnectedAccountReconnected': {
      const { workspace_id, connected_account_id } = event.data;
      if (!snapshots.accountConnection(connected_account_id).disconnected) return [];
      const connected_account_custom_metadata = accountMetadata(connected_account_id);
      return snapshots.devicesOfAccount(connected_account_id).map((device) =>
        make(
          'device.connected',
          workspace_id,
          {
            device_id: device.device_id,
            connected_account_id,
            device_custom_metadata: device.custom_metadata,
            connected_account_custom_metadata,
          },
          device.device_id,
        ),
      );
    }

    case 'ConnectedAccountDisconnected': {
      const { workspace_id, connected_account_id, disconnected_at } = event.data;
      const connected_account_custom_metadata = accountMetadata(connected_account_id);
      const accountErrors = [accountDisconnectedError(disconnected_at)];
      return [
        make('connected_account.disconnected', workspace_id, {
          connected_account_id,
          connected_account_errors: accountErrors,
          connected_account_warnings: [],
          connected_account_custom_metadata,
        }),
        ...snapshots.devicesOfAccount(connected_account_id).map((device) =>
          make(
            'device.disconnected',
            workspace_id,
            {
              device_id: device.device_id,
              connected_account_id,
              error_code: 'account_disconnected',
              // The device's own errors, as its object shows them: its account's disconnection.
              device_errors: accountErrors.map((error) => ({ ...error, is_device_error: false })),
              device_warnings: [],
              connected_account_errors: accountErrors,
              connected_account_warnings: [],
              device_custom_metadata: device.custom_metadata,
              connected_account_custom_metadata,
            },
            device.device_id,
          ),
        ),
      ];
    }

    // What is left of a deleted account and its devices: their ids. Their metadata was erased with them.
    case 'ConnectedAccountDeleted': {
      const { workspace_id, connected_account_id, device_ids } = event.data;
      return [
        make('connected_account.deleted', workspace_id, { connected_account_id }),
        ...device_ids.map((device_id) =>
          make('device.deleted', workspace_id, { device_id, connected_account_id }, device_id),
        ),
      ];
    }

    case 'DeviceAdded': {
      const { workspace_id, device_id, connected_account_id } = event.data;
      return [
        make('device.added', workspace_id, {
          device_id,
          connected_account_id,
          device_custom_metadata: {},
          connected_account_custom_metadata: accountMetadata(connected_account_id),
        }),
      ];
    }

    case 'DeviceConvertedToUnmanaged':
    case 'DeviceConvertedToManaged': {
      const { workspace_id, device_id, connected_account_id } = event.data;
      const type =
        event.type === 'DeviceConvertedToManaged'
          ? 'device.unmanaged.converted_to_managed'
          : 'device.converted_to_unmanaged';
      return [
        make(type, workspace_id, {
          device_id,
          connected_account_id,
          device_custom_metadata: snapshots.metadataOf('device', device_id),
          connected_account_custom_metadata: accountMetadata(connected_account_id),
        }),
      ];
    }

    case 'MetadataSet':
      return metadataChanged(make, event.data, snapshots.accountOfDevice, accountMetadata);

    default:
      return [];
  }
}

type MakePublicEvent = ReturnType<typeof publicEventMaker>;

function publicEventMaker(event: SourceEvent) {
  return (
    event_type: PublicEventType,
    workspace_id: string,
    fields: Record<string, unknown>,
    discriminator = '',
  ): PublicEvent => ({
    event_id: deterministicId('public_event', event.id, event_type, discriminator),
    workspace_id,
    created_at: event.recordedAt,
    occurred_at: event.recordedAt,
    event_type,
    ...fields,
  });
}

/** `<resource>.custom_metadata_changed`, only for a real change. */
function metadataChanged(
  make: MakePublicEvent,
  data: MetadataSet['data'],
  accountOfDevice: (deviceId: string) => string | undefined,
  accountMetadata: (accountId: string) => CustomMetadata,
): PublicEvent[] {
  if (!hasChanges(data.changes)) return [];
  const change = {
    custom_metadata: data.custom_metadata,
    previous_custom_metadata: data.previous_custom_metadata,
    changes: data.changes,
    cause: data.cause,
    actor: data.actor,
  };
  switch (data.resource_type) {
    case 'device': {
      const accountId = accountOfDevice(data.resource_id);
      return [
        make('device.custom_metadata_changed', data.workspace_id, {
          device_id: data.resource_id,
          ...(accountId ? { connected_account_id: accountId } : {}),
          ...change,
          device_custom_metadata: data.custom_metadata,
          ...(accountId ? { connected_account_custom_metadata: accountMetadata(accountId) } : {}),
        }),
      ];
    }
    case 'connected_account':
      return [
        make('connected_account.custom_metadata_changed', data.workspace_id, {
          connected_account_id: data.resource_id,
          ...change,
          connected_account_custom_metadata: data.custom_metadata,
        }),
      ];
    case 'connect_webview':
      return [
        make('connect_webview.custom_metadata_changed', data.workspace_id, {
          connect_webview_id: data.resource_id,
          ...change,
          connect_webview_custom_metadata: data.custom_metadata,
        }),
      ];
  }
}
