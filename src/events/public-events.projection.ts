import { deterministicId } from '../common/deterministic-id.js';
import type { SqliteDatabase } from '../common/sqlite.js';
import type { ConnectWebviewEvent } from '../connect-webviews/index.js';
import { accountDisconnectedError, type ConnectedAccountEvent } from '../connected-accounts/index.js';
import { hasChanges, type CustomMetadata } from '../custom-metadata/custom-metadata.js';
import type { MetadataSet } from '../custom-metadata/metadata-set.js';
import type { DeviceEvent } from '../devices/index.js';
import { prepared } from '../read-models/prepared.js';
import { sqliteProjection, type RecordedEventOf } from '../read-models/projection.js';
import { sequenceAt, type PublicEvent, type PublicEventType } from './public-event.js';

type SourceEvent = RecordedEventOf<ConnectWebviewEvent | ConnectedAccountEvent | DeviceEvent>;

/**
 * The public events, each with the metadata of its resources as it was when it happened, frozen in it. The
 * projection keeps what it needs for those snapshots in a table of its own (`public_event_resources`: each
 * resource's current metadata, and a device's account), fed by the same events.
 */
export const publicEventsReadModel = sqliteProjection<ConnectWebviewEvent | ConnectedAccountEvent | DeviceEvent>({
  name: 'public_events',
  version: 1,
  handles: [
    'ConnectWebviewLoginFailed',
    'ConnectedAccountCreated',
    'ConnectWebviewAuthorized',
    'ConnectedAccountDisconnected',
    'DeviceAdded',
    'MetadataSet',
  ],
  init: (db) =>
    db.exec(`
      CREATE TABLE IF NOT EXISTS public_events (
        sequence             INTEGER PRIMARY KEY,
        event_id             TEXT NOT NULL UNIQUE,
        workspace_id         TEXT NOT NULL,
        event_type           TEXT NOT NULL,
        occurred_at          TEXT NOT NULL,
        device_id            TEXT,
        connected_account_id TEXT,
        connect_webview_id   TEXT,
        body                 TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS public_events_by_workspace ON public_events (workspace_id, sequence);
      CREATE INDEX IF NOT EXISTS public_events_by_time ON public_events (workspace_id, occurred_at);
      CREATE TABLE IF NOT EXISTS public_event_resources (
        resource_type        TEXT NOT NULL,
        resource_id          TEXT NOT NULL,
        connected_account_id TEXT,
        first_position       INTEGER NOT NULL,
        custom_metadata      TEXT NOT NULL,
        PRIMARY KEY (resource_type, resource_id)
      );
      CREATE INDEX IF NOT EXISTS public_event_devices_by_account
        ON public_event_resources (connected_account_id, first_position);
    `),

  apply(db, event) {
    remember(db, event);
    publicEventsFor(db, event).forEach((publicEvent, index) => {
      prepared(
        db,
        `INSERT OR REPLACE INTO public_events
           (sequence, event_id, workspace_id, event_type, occurred_at, device_id, connected_account_id, connect_webview_id, body)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        sequenceAt(event.position, index),
        publicEvent.event_id,
        publicEvent.workspace_id,
        publicEvent.event_type,
        publicEvent.occurred_at,
        publicEvent.device_id ?? null,
        publicEvent.connected_account_id ?? null,
        publicEvent.connect_webview_id ?? null,
        JSON.stringify(publicEvent),
      );
    });
  },
});

/** Keeps each resource's current metadata, and each device's account, for the snapshots of later events. */
function remember(db: SqliteDatabase, event: SourceEvent): void {
  if (event.type === 'DeviceAdded') {
    prepared(
      db,
      `INSERT OR IGNORE INTO public_event_resources
         (resource_type, resource_id, connected_account_id, first_position, custom_metadata) VALUES ('device', ?, ?, ?, '{}')`,
    ).run(event.data.device_id, event.data.connected_account_id, event.position);
  }
  if (event.type === 'MetadataSet') {
    prepared(
      db,
      `INSERT INTO public_event_resources (resource_type, resource_id, first_position, custom_metadata) VALUES (?, ?, ?, ?)
       ON CONFLICT (resource_type, resource_id) DO UPDATE SET custom_metadata = excluded.custom_metadata`,
    ).run(event.data.resource_type, event.data.resource_id, event.position, JSON.stringify(event.data.custom_metadata));
  }
}

function metadataOf(db: SqliteDatabase, resourceType: string, resourceId: string): CustomMetadata {
  const sql = 'SELECT custom_metadata FROM public_event_resources WHERE resource_type = ? AND resource_id = ?';
  const row = prepared(db, sql).get(resourceType, resourceId) as { custom_metadata: string } | undefined;
  return row ? (JSON.parse(row.custom_metadata) as CustomMetadata) : {};
}

function accountOfDevice(db: SqliteDatabase, deviceId: string): string | undefined {
  const sql =
    "SELECT connected_account_id FROM public_event_resources WHERE resource_type = 'device' AND resource_id = ?";
  return (prepared(db, sql).get(deviceId) as { connected_account_id: string } | undefined)?.connected_account_id;
}

function devicesOfAccount(
  db: SqliteDatabase,
  accountId: string,
): { device_id: string; custom_metadata: CustomMetadata }[] {
  const sql = `SELECT resource_id, custom_metadata FROM public_event_resources
               WHERE connected_account_id = ? AND resource_type = 'device' ORDER BY first_position`;
  const rows = prepared(db, sql).all(accountId) as unknown as { resource_id: string; custom_metadata: string }[];
  return rows.map((row) => ({
    device_id: row.resource_id,
    custom_metadata: JSON.parse(row.custom_metadata) as CustomMetadata,
  }));
}

function publicEventsFor(db: SqliteDatabase, event: SourceEvent): PublicEvent[] {
  const make = publicEventMaker(event);
  const accountMetadata = (accountId: string) => metadataOf(db, 'connected_account', accountId);
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
      const connected_account_custom_metadata = metadataOf(db, 'connect_webview', connect_webview_id);
      return [
        make('connected_account.created', workspace_id, {
          connected_account_id,
          connect_webview_id,
          connected_account_custom_metadata,
        }),
      ];
    }

    // The saga's last step: the account and its devices exist, their metadata is final for this completion.
    case 'ConnectWebviewAuthorized': {
      const { workspace_id, connect_webview_id, connected_account_id } = event.data;
      const fields = {
        connected_account_id,
        connect_webview_id,
        connected_account_custom_metadata: accountMetadata(connected_account_id),
      };
      return [
        make('connected_account.connected', workspace_id, fields),
        make('connect_webview.login_succeeded', workspace_id, fields),
      ];
    }

    case 'ConnectedAccountDisconnected': {
      const { workspace_id, connected_account_id, disconnected_at } = event.data;
      const connected_account_custom_metadata = accountMetadata(connected_account_id);
      return [
        make('connected_account.disconnected', workspace_id, {
          connected_account_id,
          connected_account_errors: [accountDisconnectedError(disconnected_at)],
          connected_account_custom_metadata,
        }),
        ...devicesOfAccount(db, connected_account_id).map((device) =>
          make(
            'device.disconnected',
            workspace_id,
            {
              device_id: device.device_id,
              connected_account_id,
              device_custom_metadata: device.custom_metadata,
              connected_account_custom_metadata,
            },
            device.device_id,
          ),
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

    case 'MetadataSet':
      return metadataChanged(make, event.data, (deviceId) => accountOfDevice(db, deviceId), accountMetadata);

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
