import { PROVIDER_DISPLAY_NAMES } from '../providers/providers.js';
import type { SqliteDatabase, SqliteValue } from '../common/sqlite.js';
import { accountDisconnectedError, type ConnectedAccountEvent } from '../connected-accounts/index.js';
import type { CustomMetadata } from '../custom-metadata/custom-metadata.js';
import {
  CUSTOM_METADATA_COLUMN_DDL,
  CUSTOM_METADATA_INDEX_DDL,
  CUSTOM_METADATA_LOOKUP,
  recordJson,
  recordOf,
  removeCustomMetadataIndex,
  setCustomMetadata,
  type RecordColumns,
} from '../read-models/custom-metadata-index.js';
import { listNewestFirst, type ListedTable } from '../read-models/list-newest-first.js';
import type { PageRequest, Pagination } from '../read-models/pagination.js';
import { sqliteProjection } from '../read-models/projection.js';
import { prepared } from '../common/prepared.js';
import type { DeviceAddedData, DeviceEvent } from './device.js';

export interface DeviceRecord extends DeviceAddedData {
  custom_metadata: CustomMetadata;
}

interface Row extends RecordColumns {
  created_position: number;
  account_disconnected_at: string | null;
}

export interface DeviceFilter {
  connectedAccountIds?: string[];
  connectWebviewId?: string;
  deviceIds?: string[];
  deviceTypes?: string[];
  /** Seam's `manufacturer`: here, the provider. */
  manufacturer?: string;
  customMetadataHas?: CustomMetadata;
  search?: string;
  createdBefore?: string;
}

/** How the list route reads the table (its `search` fields among it). */
export const DEVICES_LISTING: ListedTable = {
  table: 'devices',
  idColumn: 'device_id',
  resourceType: 'device',
  columns: 'r.record, r.custom_metadata, r.account_disconnected_at',
  searchable: (row) => [`${row}.device_id`, `json_extract(${row}.record, '$.name')`],
};

export const deviceReadModel = sqliteProjection<DeviceEvent | ConnectedAccountEvent>({
  name: 'devices',
  version: 2,
  handles: [
    'DeviceAdded',
    'DeviceRenamed',
    'MetadataSet',
    'ConnectedAccountDisconnected',
    'ConnectedAccountReconnected',
    'ConnectedAccountDeleted',
    'DeviceDeleted',
  ],
  init: (db) => {
    db.exec(
      `
    CREATE TABLE IF NOT EXISTS devices (
      device_id               TEXT PRIMARY KEY,
      workspace_id            TEXT NOT NULL,
      connected_account_id    TEXT NOT NULL,
      connect_webview_id      TEXT NOT NULL,
      device_type             TEXT NOT NULL,
      created_at              TEXT NOT NULL,
      created_position        INTEGER NOT NULL,
      account_disconnected_at TEXT,
      record                  TEXT NOT NULL,
      ${CUSTOM_METADATA_COLUMN_DDL}
    );
    CREATE INDEX IF NOT EXISTS devices_by_account ON devices (connected_account_id);
  ` + CUSTOM_METADATA_INDEX_DDL,
    );
  },
  readIndexes: [
    { name: 'devices_by_workspace', on: 'devices (workspace_id, created_position)' },
    CUSTOM_METADATA_LOOKUP,
  ],
  search: DEVICES_LISTING,

  apply(db, event) {
    switch (event.type) {
      case 'DeviceAdded': {
        const d = event.data;
        const record: DeviceRecord = { ...d, custom_metadata: {} };
        prepared(
          db,
          `INSERT OR REPLACE INTO devices
             (device_id, workspace_id, connected_account_id, connect_webview_id, device_type,
             created_at, created_position, account_disconnected_at, record)
           VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?)`,
        ).run(
          d.device_id,
          d.workspace_id,
          d.connected_account_id,
          d.connect_webview_id,
          d.device_type,
          d.created_at,
          event.position,
          recordJson(record),
        );
        break;
      }
      case 'DeviceRenamed':
        update(db, event.data.workspace_id, event.data.device_id, (record) => ({ ...record, name: event.data.name }));
        break;
      case 'MetadataSet':
        if (event.data.resource_type !== 'device') break;
        setCustomMetadata(db, DEVICES_LISTING, event.data, event.data.custom_metadata);
        break;
      // A disconnected account's devices carry a matching error until a webview reconnects it.
      case 'ConnectedAccountDisconnected':
        prepared(db, 'UPDATE devices SET account_disconnected_at = ? WHERE connected_account_id = ?').run(
          event.data.disconnected_at,
          event.data.connected_account_id,
        );
        break;
      case 'ConnectedAccountReconnected':
        prepared(db, 'UPDATE devices SET account_disconnected_at = NULL WHERE connected_account_id = ?').run(
          event.data.connected_account_id,
        );
        break;
      // Its devices go with a deleted account: those it named, and any the read models have besides.
      case 'ConnectedAccountDeleted':
        for (const deviceId of [
          ...event.data.device_ids,
          ...deviceIdsOfAccount(db, event.data.workspace_id, event.data.connected_account_id),
        ]) {
          deleteDevice(db, deviceId);
        }
        break;
      case 'DeviceDeleted':
        deleteDevice(db, event.data.device_id);
        break;
    }
  },
});

function deleteDevice(db: SqliteDatabase, deviceId: string): void {
  prepared(db, 'DELETE FROM devices WHERE device_id = ?').run(deviceId);
  removeCustomMetadataIndex(db, 'device', deviceId);
}

/** A change to the record's JSON (its metadata has a column of its own). */
function update(
  db: SqliteDatabase,
  workspaceId: string,
  deviceId: string,
  change: (record: DeviceAddedData) => DeviceAddedData,
): void {
  const row = prepared(db, 'SELECT record FROM devices WHERE workspace_id = ? AND device_id = ?').get(
    workspaceId,
    deviceId,
  ) as { record: string } | undefined;
  if (!row) return;
  prepared(db, 'UPDATE devices SET record = ? WHERE device_id = ?').run(
    JSON.stringify(change(JSON.parse(row.record) as DeviceAddedData)),
    deviceId,
  );
}

export function findDevice(db: SqliteDatabase, workspaceId: string, deviceId: string): Row | undefined {
  return prepared(
    db,
    `SELECT record, custom_metadata, created_position, account_disconnected_at FROM devices
     WHERE workspace_id = ? AND device_id = ?`,
  ).get(workspaceId, deviceId) as Row | undefined;
}

/** The workspace's device of that name (the oldest, should several share it). */
export function findDeviceIdByName(db: SqliteDatabase, workspaceId: string, name: string): string | undefined {
  const sql = `SELECT device_id FROM devices WHERE workspace_id = ? AND json_extract(record, '$.name') = ?
               ORDER BY created_position LIMIT 1`;
  return (prepared(db, sql).get(workspaceId, name) as { device_id: string } | undefined)?.device_id;
}

export function listDevices(
  db: SqliteDatabase,
  workspaceId: string,
  filter: DeviceFilter,
  request: PageRequest,
  nextPageUrl: (cursor: string) => string,
): { items: Row[]; pagination: Pagination } {
  const where: string[] = [];
  const params: SqliteValue[] = [];
  const oneOf = (column: string, values: string[]) => {
    where.push(`${column} IN (${values.map(() => '?').join(', ')})`);
    params.push(...values);
  };
  if (filter.connectedAccountIds) oneOf('r.connected_account_id', filter.connectedAccountIds);
  if (filter.deviceIds) oneOf('r.device_id', filter.deviceIds);
  if (filter.connectWebviewId) oneOf('r.connect_webview_id', [filter.connectWebviewId]);
  if (filter.deviceTypes) oneOf('r.device_type', filter.deviceTypes);
  if (filter.manufacturer) oneOf("json_extract(r.record, '$.provider')", [filter.manufacturer]);
  if (filter.createdBefore) {
    where.push('r.created_at < ?');
    params.push(filter.createdBefore);
  }
  return listNewestFirst<Row>(
    db,
    DEVICES_LISTING,
    workspaceId,
    { customMetadataHas: filter.customMetadataHas, search: filter.search, where, params },
    request,
    nextPageUrl,
  );
}

/** The public `device` object, as `@seamapi/types` defines it. */
export function toDeviceObject(row: Row) {
  const record = recordOf<DeviceRecord>(row);
  const online = row.account_disconnected_at === null;
  return {
    device_id: record.device_id,
    device_type: record.device_type,
    display_name: record.name,
    nickname: record.name,
    capabilities_supported: ['lock'],
    properties: {
      online,
      name: record.name,
      locked: true,
      appearance: { name: record.name },
      manufacturer: record.provider,
      model: { display_name: record.model, manufacturer_display_name: PROVIDER_DISPLAY_NAMES[record.provider] },
    },
    // Seam's object, its fields unknown here: the sandbox providers report no location.
    location: {},
    connected_account_id: record.connected_account_id,
    workspace_id: record.workspace_id,
    errors:
      row.account_disconnected_at === null
        ? []
        : [{ ...accountDisconnectedError(row.account_disconnected_at), is_device_error: false as const }],
    warnings: [] as unknown[],
    created_at: record.created_at,
    is_managed: true as const,
    custom_metadata: record.custom_metadata,
    space_ids: [] as string[],
  };
}

/** The account's devices in the read models. */
export function deviceIdsOfAccount(db: SqliteDatabase, workspaceId: string, connectedAccountId: string): string[] {
  const sql = 'SELECT device_id FROM devices WHERE workspace_id = ? AND connected_account_id = ? ORDER BY device_id';
  return (prepared(db, sql).all(workspaceId, connectedAccountId) as { device_id: string }[]).map((r) => r.device_id);
}
