import type { SqliteDatabase } from '../common/sqlite.js';
import type { ConnectWebviewEvent } from '../connect-webviews/index.js';
import type { ConnectedAccountEvent } from '../connected-accounts/index.js';
import type { CustomMetadata } from '../custom-metadata/custom-metadata.js';
import type { DeviceEvent } from '../devices/index.js';
import { prepared } from '../common/prepared.js';
import { sqliteProjection, type RecordedEventOf } from '../read-models/projection.js';
import { sequenceAt } from './public-event.js';
import { publicEventsOf, type ResourceSnapshots } from './public-events-of.js';
import type { PublicEvent } from './public-event.js';

type SourceEvent = RecordedEventOf<ConnectWebviewEvent | ConnectedAccountEvent | DeviceEvent>;

/**
 * The public events, each with the metadata of its resources as it was when it happened, frozen in it. The
 * projection keeps what it needs for those snapshots in a table of its own (`public_event_resources`: each
 * resource's current metadata, and a device's account), fed by the same events.
 */
export const publicEventsReadModel = sqliteProjection<ConnectWebviewEvent | ConnectedAccountEvent | DeviceEvent>({
  name: 'public_events',
  // 6: the webview snapshots (`public_event_webview_snapshots`). Version 5's file serves meanwhile: its
  // webview events are matched as having no metadata until the rebuild swaps in.
  version: 6,
  readableFrom: 5,
  rebuildsOnItsOwnThread: true,
  handles: [
    'ConnectWebviewCreated',
    'ConnectedAccountSettingsChanged',
    'ConnectedAccountDeleted',
    'ConnectWebviewLoginFailed',
    'ConnectedAccountCreated',
    'ConnectWebviewAuthorized',
    'ConnectedAccountDisconnected',
    'ConnectedAccountReconnected',
    'DeviceAdded',
    'DeviceConvertedToUnmanaged',
    'DeviceConvertedToManaged',
    'MetadataSet',
  ],
  init: (db) =>
    db.exec(`
      CREATE TABLE IF NOT EXISTS public_events (
        sequence             INTEGER PRIMARY KEY,
        event_id             TEXT NOT NULL,
        workspace_id         TEXT NOT NULL,
        event_type           TEXT NOT NULL,
        occurred_at          TEXT NOT NULL,
        device_id            TEXT,
        connected_account_id TEXT,
        connect_webview_id   TEXT,
        customer_key         TEXT,
        body                 TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS public_event_resources (
        resource_type        TEXT NOT NULL,
        resource_id          TEXT NOT NULL,
        workspace_id         TEXT NOT NULL,
        connected_account_id TEXT,
        first_position       INTEGER NOT NULL,
        custom_metadata      TEXT NOT NULL,
        PRIMARY KEY (resource_type, resource_id)
      );
      CREATE INDEX IF NOT EXISTS public_event_devices_by_account
        ON public_event_resources (connected_account_id, first_position);
      CREATE TABLE IF NOT EXISTS public_event_accounts (
        connected_account_id TEXT PRIMARY KEY,
        workspace_id         TEXT NOT NULL,
        disconnected         INTEGER NOT NULL,
        connected_event_due  INTEGER NOT NULL,
        customer_key         TEXT
      );
      CREATE TABLE IF NOT EXISTS public_event_webview_snapshots (
        sequence             INTEGER PRIMARY KEY,
        workspace_id         TEXT NOT NULL,
        custom_metadata      TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS public_event_webviews (
        connect_webview_id   TEXT PRIMARY KEY,
        workspace_id         TEXT NOT NULL,
        customer_key         TEXT NOT NULL
      );
    `),
  readIndexes: [
    // Unique by construction: a public event's id, like its sequence, derives from its domain event and its
    // place among that event's public events.
    { name: 'public_events_by_event_id', on: 'public_events (event_id)', unique: true },
    { name: 'public_events_by_workspace', on: 'public_events (workspace_id, sequence)' },
    { name: 'public_events_by_time', on: 'public_events (workspace_id, occurred_at)' },
    { name: 'public_events_by_customer', on: 'public_events (workspace_id, customer_key, sequence)' },
  ],

  // The snapshots are taken before this event changes them: its public events show the state it found.
  apply(db, event) {
    const snapshots = snapshotsIn(db);
    const publicEvents = publicEventsOf(event, snapshots);
    const webviewMetadata = publicEvents.map((publicEvent) => webviewSnapshotToKeep(publicEvent, snapshots));
    remember(db, event);
    publicEvents.forEach((publicEvent, index) => {
      const metadata = webviewMetadata[index];
      if (metadata !== undefined) {
        prepared(
          db,
          `INSERT OR REPLACE INTO public_event_webview_snapshots (sequence, workspace_id, custom_metadata)
           VALUES (?, ?, ?)`,
        ).run(sequenceAt(event.position, index), publicEvent.workspace_id, JSON.stringify(metadata));
      }
      prepared(
        db,
        `INSERT OR REPLACE INTO public_events
           (sequence, event_id, workspace_id, event_type, occurred_at, device_id, connected_account_id,
            connect_webview_id, customer_key, body)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        sequenceAt(event.position, index),
        publicEvent.event_id,
        publicEvent.workspace_id,
        publicEvent.event_type,
        publicEvent.occurred_at,
        publicEvent.device_id ?? null,
        publicEvent.connected_account_id ?? null,
        publicEvent.connect_webview_id ?? null,
        customerKeyOf(db, publicEvent),
        JSON.stringify(publicEvent),
      );
    });
  },
});

/**
 * Keeps each resource's current metadata, each device's account, and each account's connection: whether it
 * is disconnected, and whether its next completion announces `connected_account.connected` (the first
 * connection, and a reconnection after a disconnection).
 */
function remember(db: SqliteDatabase, event: SourceEvent): void {
  const account = (sql: string, accountId: string) => prepared(db, sql).run(accountId);
  switch (event.type) {
    case 'ConnectWebviewCreated':
      if (event.data.customer_key) {
        prepared(
          db,
          'INSERT OR IGNORE INTO public_event_webviews (connect_webview_id, workspace_id, customer_key) VALUES (?, ?, ?)',
        ).run(event.data.connect_webview_id, event.data.workspace_id, event.data.customer_key);
      }
      break;
    case 'ConnectedAccountCreated':
      prepared(
        db,
        `INSERT OR IGNORE INTO public_event_accounts
           (connected_account_id, workspace_id, disconnected, connected_event_due, customer_key)
         VALUES (?, ?, 0, 1, ?)`,
      ).run(event.data.connected_account_id, event.data.workspace_id, event.data.customer_key ?? null);
      break;
    case 'ConnectedAccountSettingsChanged':
      if (event.data.customer_key !== undefined) {
        prepared(db, 'UPDATE public_event_accounts SET customer_key = ? WHERE connected_account_id = ?').run(
          event.data.customer_key,
          event.data.connected_account_id,
        );
      }
      break;
    case 'ConnectedAccountDisconnected':
      account(
        'UPDATE public_event_accounts SET disconnected = 1 WHERE connected_account_id = ?',
        event.data.connected_account_id,
      );
      break;
    case 'ConnectedAccountReconnected':
      account(
        `UPDATE public_event_accounts SET connected_event_due = connected_event_due OR disconnected, disconnected = 0
         WHERE connected_account_id = ?`,
        event.data.connected_account_id,
      );
      break;
    case 'ConnectWebviewAuthorized':
      account(
        'UPDATE public_event_accounts SET connected_event_due = 0 WHERE connected_account_id = ?',
        event.data.connected_account_id,
      );
      break;
  }
  if (event.type === 'DeviceAdded') {
    prepared(
      db,
      `INSERT OR IGNORE INTO public_event_resources
         (resource_type, resource_id, workspace_id, connected_account_id, first_position, custom_metadata)
       VALUES ('device', ?, ?, ?, ?, '{}')`,
    ).run(event.data.device_id, event.data.workspace_id, event.data.connected_account_id, event.position);
  }
  if (event.type === 'MetadataSet') {
    prepared(
      db,
      `INSERT INTO public_event_resources (resource_type, resource_id, workspace_id, first_position, custom_metadata)
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (resource_type, resource_id) DO UPDATE SET custom_metadata = excluded.custom_metadata`,
    ).run(
      event.data.resource_type,
      event.data.resource_id,
      event.data.workspace_id,
      event.position,
      JSON.stringify(event.data.custom_metadata),
    );
  }
  if (event.type === 'ConnectedAccountDeleted') forgetAccount(db, event.data);
}

/**
 * A webview's own events (login succeeded or failed) carry no snapshot of its metadata in Seam's shape, so
 * the one `custom_metadata_match` reads is kept beside them (public-events.queries.ts, `SUBJECT_METADATA`).
 */
function webviewSnapshotToKeep(event: PublicEvent, snapshots: ResourceSnapshots): CustomMetadata | undefined {
  if (!event.event_type.startsWith('connect_webview.') || event.connect_webview_custom_metadata !== undefined)
    return undefined;
  return snapshots.metadataOf('connect_webview', event.connect_webview_id!);
}

/**
 * A deleted account's events and its devices' leave `/events/list` (and so every webhook and stream), as
 * Seam's delete promises; their deletion's own events are written after this.
 */
function forgetAccount(
  db: SqliteDatabase,
  data: { connected_account_id: string; workspace_id: string; device_ids: string[] },
): void {
  const accountId = data.connected_account_id;
  const deviceIds = [...new Set([...data.device_ids, ...devicesOfAccount(db, accountId).map((d) => d.device_id)])];
  prepared(
    db,
    `DELETE FROM public_event_webview_snapshots WHERE sequence IN
       (SELECT sequence FROM public_events WHERE workspace_id = ? AND connected_account_id = ?)`,
  ).run(data.workspace_id, accountId);
  prepared(db, 'DELETE FROM public_events WHERE workspace_id = ? AND connected_account_id = ?').run(
    data.workspace_id,
    accountId,
  );
  prepared(db, "DELETE FROM public_event_resources WHERE resource_type = 'connected_account' AND resource_id = ?").run(
    accountId,
  );
  prepared(db, 'DELETE FROM public_event_accounts WHERE connected_account_id = ?').run(accountId);
  for (const deviceId of deviceIds) {
    prepared(db, 'DELETE FROM public_events WHERE workspace_id = ? AND device_id = ?').run(data.workspace_id, deviceId);
    prepared(db, "DELETE FROM public_event_resources WHERE resource_type = 'device' AND resource_id = ?").run(deviceId);
  }
}

/**
 * The customer an event concerns, as it was when it happened: its account's (a device event's too), or its
 * webview's. `events/list {customer_key}` filters by it.
 */
function customerKeyOf(db: SqliteDatabase, event: PublicEvent): string | null {
  if (event.connected_account_id) {
    const sql = 'SELECT customer_key FROM public_event_accounts WHERE connected_account_id = ?';
    const row = prepared(db, sql).get(event.connected_account_id) as { customer_key: string | null } | undefined;
    if (row?.customer_key) return row.customer_key;
  }
  if (event.connect_webview_id) {
    const sql = 'SELECT customer_key FROM public_event_webviews WHERE connect_webview_id = ?';
    const row = prepared(db, sql).get(event.connect_webview_id) as { customer_key: string } | undefined;
    if (row) return row.customer_key;
  }
  return null;
}

/** The projection's own table, as the snapshots `publicEventsOf` reads. */
function snapshotsIn(db: SqliteDatabase): ResourceSnapshots {
  return {
    metadataOf: (resourceType, resourceId) => metadataOf(db, resourceType, resourceId),
    accountOfDevice: (deviceId) => accountOfDevice(db, deviceId),
    devicesOfAccount: (accountId) => devicesOfAccount(db, accountId),
    accountConnection: (accountId) => {
      const sql = 'SELECT disconnected, connected_event_due FROM public_event_accounts WHERE connected_account_id = ?';
      const row = prepared(db, sql).get(accountId) as { disconnected: number; connected_event_due: number } | undefined;
      return { disconnected: row?.disconnected === 1, connectedEventDue: row?.connected_event_due === 1 };
    },
  };
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
