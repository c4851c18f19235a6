import type { SqliteDatabase, SqliteValue } from '../common/sqlite.js';
import { deterministicId } from '../common/deterministic-id.js';
import type { ConnectWebviewEvent } from '../connect-webviews/connect-webview.js';
import type { ConnectedAccountEvent } from '../connected-accounts/connected-account.js';
import { findConnectWebview } from '../connect-webviews/connect-webview.projection.js';
import { accountDisconnectedError, findConnectedAccount } from '../connected-accounts/connected-account.projection.js';
import { hasChanges, type CustomMetadata } from '../custom-metadata/custom-metadata.js';
import type { DeviceEvent } from '../devices/device.js';
import type { RecordedEvent } from '../event-store/event-store.js';
import { prepared } from '../read-models/prepared.js';
import type { Projection } from '../read-models/projector.js';

/**
 * Seam's events (seam-contract.md §6), derived from the domain events, plus one event per metadata change.
 * This projection runs after the resource projections, so the read models it reads hold the state right
 * after the domain event: the metadata snapshots are the metadata at that moment, frozen in the event.
 * A public event's id derives from its domain event's, so the same domain event always gives the same one.
 */
export const PUBLIC_EVENT_TYPES = [
  'connect_webview.login_succeeded',
  'connect_webview.login_failed',
  'connected_account.created',
  'connected_account.connected',
  'connected_account.disconnected',
  'device.added',
  'device.disconnected',
  'device.custom_metadata_changed',
  'connected_account.custom_metadata_changed',
  'connect_webview.custom_metadata_changed',
] as const;
export type PublicEventType = (typeof PUBLIC_EVENT_TYPES)[number];

export interface PublicEvent {
  event_id: string;
  workspace_id: string;
  created_at: string;
  occurred_at: string;
  event_type: PublicEventType;
  device_id?: string;
  connected_account_id?: string;
  connect_webview_id?: string;
  [field: string]: unknown;
}

/**
 * A public event's place in the workspace's event sequence: several may come from one domain event, so the
 * domain event's log position is scaled. Deterministic, so a rebuilt read model numbers them identically.
 */
export const sequenceAt = (position: number, index = 0): number => position * 1000 + index;

export const publicEventProjection: Projection = {
  ddl: `
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
  `,

  apply(recorded: RecordedEvent, db: SqliteDatabase) {
    publicEventsFor(recorded, db).forEach((event, index) => {
      prepared(
        db,
        `INSERT OR REPLACE INTO public_events
           (sequence, event_id, workspace_id, event_type, occurred_at, device_id, connected_account_id, connect_webview_id, body)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        sequenceAt(recorded.position, index),
        event.event_id,
        event.workspace_id,
        event.event_type,
        event.occurred_at,
        event.device_id ?? null,
        event.connected_account_id ?? null,
        event.connect_webview_id ?? null,
        JSON.stringify(event),
      );
    });
  },
};

function publicEventsFor(recorded: RecordedEvent, db: SqliteDatabase): PublicEvent[] {
  const event = recorded as unknown as ConnectWebviewEvent | ConnectedAccountEvent | DeviceEvent;
  const make = (event_type: PublicEventType, workspace_id: string, fields: Record<string, unknown>, discriminator = ''): PublicEvent => ({
    event_id: deterministicId('public_event', recorded.id, event_type, discriminator),
    workspace_id,
    created_at: recorded.recordedAt,
    occurred_at: recorded.recordedAt,
    event_type,
    ...fields,
  });
  const accountMetadata = (workspaceId: string, accountId: string): CustomMetadata =>
    findConnectedAccount(db, workspaceId, { connectedAccountId: accountId })?.custom_metadata ?? {};

  switch (event.type) {
    case 'ConnectWebviewLoginFailed':
      return [make('connect_webview.login_failed', event.data.workspace_id, { connect_webview_id: event.data.connect_webview_id })];

    // Its metadata is a copy of the webview's, recorded by the MetadataSet that follows in the same append.
    case 'ConnectedAccountCreated': {
      const { workspace_id, connect_webview_id, connected_account_id } = event.data;
      return [
        make('connected_account.created', workspace_id, {
          connected_account_id,
          connect_webview_id,
          connected_account_custom_metadata: findConnectWebview(db, workspace_id, connect_webview_id)?.custom_metadata ?? {},
        }),
      ];
    }

    // The saga's last step: the account and its devices exist, their metadata is final for this completion.
    case 'ConnectWebviewAuthorized': {
      const { workspace_id, connect_webview_id, connected_account_id } = event.data;
      const fields = { connected_account_id, connect_webview_id, connected_account_custom_metadata: accountMetadata(workspace_id, connected_account_id) };
      return [make('connected_account.connected', workspace_id, fields), make('connect_webview.login_succeeded', workspace_id, fields)];
    }

    case 'ConnectedAccountDisconnected': {
      const { workspace_id, connected_account_id, disconnected_at } = event.data;
      const connected_account_custom_metadata = accountMetadata(workspace_id, connected_account_id);
      const devices = prepared(db, 'SELECT device_id, record FROM devices WHERE connected_account_id = ? ORDER BY created_position').all(
        connected_account_id,
      ) as { device_id: string; record: string }[];
      return [
        make('connected_account.disconnected', workspace_id, {
          connected_account_id,
          connected_account_errors: [accountDisconnectedError(disconnected_at)],
          connected_account_custom_metadata,
        }),
        ...devices.map(({ device_id, record }) =>
          make(
            'device.disconnected',
            workspace_id,
            {
              device_id,
              connected_account_id,
              device_custom_metadata: (JSON.parse(record) as { custom_metadata: CustomMetadata }).custom_metadata,
              connected_account_custom_metadata,
            },
            device_id,
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
          connected_account_custom_metadata: accountMetadata(workspace_id, connected_account_id),
        }),
      ];
    }

    case 'MetadataSet': {
      const data = event.data;
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
          const row = prepared(db, 'SELECT connected_account_id FROM devices WHERE device_id = ?').get(data.resource_id) as
            | { connected_account_id: string }
            | undefined;
          return [
            make('device.custom_metadata_changed', data.workspace_id, {
              device_id: data.resource_id,
              ...(row ? { connected_account_id: row.connected_account_id } : {}),
              ...change,
              device_custom_metadata: data.custom_metadata,
              ...(row ? { connected_account_custom_metadata: accountMetadata(data.workspace_id, row.connected_account_id) } : {}),
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
  }
  return [];
}

interface Row {
  sequence: number;
  body: string;
}

export interface PublicEventFilter {
  since?: string;
  until?: string;
  deviceIds?: string[];
  connectedAccountId?: string;
  connectWebviewId?: string;
  eventTypes?: string[];
  afterSequence?: number;
}

/** Oldest first. `afterSequence` continues a stream (SSE, webhook delivery) past the last event handed out. */
export function findPublicEvents(db: SqliteDatabase, workspaceId: string, filter: PublicEventFilter, limit: number): { sequence: number; event: PublicEvent }[] {
  const where = ['workspace_id = ?'];
  const params: SqliteValue[] = [workspaceId];
  const add = (sql: string, ...values: SqliteValue[]) => {
    where.push(sql);
    params.push(...values);
  };
  if (filter.since) add('occurred_at >= ?', filter.since);
  if (filter.until) add('occurred_at <= ?', filter.until);
  if (filter.afterSequence !== undefined) add('sequence > ?', filter.afterSequence);
  if (filter.deviceIds) add(`device_id IN (${filter.deviceIds.map(() => '?').join(', ')})`, ...filter.deviceIds);
  if (filter.connectedAccountId) add('connected_account_id = ?', filter.connectedAccountId);
  if (filter.connectWebviewId) add('connect_webview_id = ?', filter.connectWebviewId);
  if (filter.eventTypes) add(`event_type IN (${filter.eventTypes.map(() => '?').join(', ')})`, ...filter.eventTypes);
  const rows = prepared(db, `SELECT sequence, body FROM public_events WHERE ${where.join(' AND ')} ORDER BY sequence LIMIT ?`).all(...params, limit) as unknown as Row[];
  return rows.map((row) => ({ sequence: row.sequence, event: JSON.parse(row.body) as PublicEvent }));
}

export function findPublicEvent(db: SqliteDatabase, workspaceId: string, eventId: string): { sequence: number; event: PublicEvent } | undefined {
  const row = prepared(db, 'SELECT sequence, body FROM public_events WHERE workspace_id = ? AND event_id = ?').get(workspaceId, eventId) as Row | undefined;
  return row ? { sequence: row.sequence, event: JSON.parse(row.body) as PublicEvent } : undefined;
}
