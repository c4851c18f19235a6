import {
  CAPABILITY_FLAGS,
  CAPABILITY_FLAGS_OF,
  DEVICE_TYPES,
  deviceKindOf,
  deviceTypesWithFlag,
  PROVIDER_DISPLAY_NAMES,
  type CapabilityFlag,
  type DeviceKind,
} from '../providers/providers.js';
import type { SqliteDatabase, SqliteValue } from '../common/sqlite.js';
import { accountDisconnectedError, type ConnectedAccountEvent } from '../connected-accounts/index.js';
import type { CustomMetadata } from '../custom-metadata/custom-metadata.js';
import {
  CUSTOM_METADATA_COLUMN_DDL,
  initCustomMetadataIndex,
  customMetadataIndexes,
  recordJson,
  recordOf,
  removeCustomMetadataIndex,
  setCustomMetadata,
  type RecordColumns,
} from '../read-models/custom-metadata-index.js';
import { listNewestFirst, type ListedTable, type ListFilter } from '../read-models/list-newest-first.js';
import type { PageRequest, Pagination } from '../read-models/pagination.js';
import { sqliteProjection } from '../read-models/projection.js';
import { forgetRowHistory } from '../read-models/row-history.js';
import { prepared } from '../common/prepared.js';
import { jsonTemplate, SerializedJson, type HoleValue, type JsonTemplate } from '../common/json-template.js';
import type { DeviceAddedData, DeviceEvent } from './device.js';
import type { CustomMetadataMatch } from '../custom-metadata/custom-metadata-selector.js';

export interface DeviceRecord extends DeviceAddedData {
  custom_metadata: CustomMetadata;
}

interface Row extends RecordColumns {
  created_position: number;
  account_disconnected_at: string | null;
  is_managed: number;
}

export interface DeviceFilter {
  /** `devices/list` lists managed devices, `devices/unmanaged/list` the others. */
  managed: boolean;
  /** `locks/list`, `thermostats/list`, `noise_sensors/list`. */
  kind?: DeviceKind;
  matchesNothing?: boolean;
  customerKey?: string;
  includeIf?: CapabilityFlag[];
  excludeIf?: CapabilityFlag[];
  connectedAccountIds?: string[];
  connectWebviewId?: string;
  deviceIds?: string[];
  deviceTypes?: string[];
  /** Seam's `manufacturer`: here, the provider. */
  manufacturer?: string;
  customMetadataHas?: CustomMetadata;
  customMetadataMatch?: CustomMetadataMatch;
  search?: string;
  createdBefore?: string;
  /** `as_of`, in epoch milliseconds: the list as it was then. */
  asOf?: number;
}

/** How the list route reads the table (its `search` fields among it). */
export const DEVICES_LISTING: ListedTable = {
  table: 'devices',
  idColumn: 'device_id',
  resourceType: 'device',
  keyedByPosition: true,
  columns: 'r.record, r.account_disconnected_at, r.is_managed',
  searchable: (row) => [`${row}.device_id`, `json_extract(${row}.record, '$.name')`],
};

export const deviceReadModel = sqliteProjection<DeviceEvent | ConnectedAccountEvent>({
  name: 'devices',
  version: 8, // 7: the rows' history, for lists as of a moment (row-history.ts); 8: keyed by creation position
  readableFrom: 5,
  handles: [
    'DeviceAdded',
    'DeviceRenamed',
    'DeviceConvertedToUnmanaged',
    'DeviceConvertedToManaged',
    'ConnectedAccountSettingsChanged',
    'MetadataSet',
    'ConnectedAccountDisconnected',
    'ConnectedAccountReconnected',
    'ConnectedAccountDeleted',
    'DeviceDeleted',
  ],
  init: (db) => {
    db.exec(
      `
    -- Keyed by its creation position (a device is added once): a page's rows are found by the integer key
    -- that the metadata index's entries carry, one seek each rather than the id's index and then the table.
    CREATE TABLE IF NOT EXISTS devices (
      created_position        INTEGER PRIMARY KEY,
      device_id               TEXT NOT NULL UNIQUE,
      workspace_id            TEXT NOT NULL,
      connected_account_id    TEXT NOT NULL,
      connect_webview_id      TEXT NOT NULL,
      device_type             TEXT NOT NULL,
      created_at              TEXT NOT NULL,
      account_disconnected_at TEXT,
      is_managed              INTEGER NOT NULL,
      record                  TEXT NOT NULL,
      ${CUSTOM_METADATA_COLUMN_DDL}
    );
    CREATE INDEX IF NOT EXISTS devices_by_account ON devices (connected_account_id);
  `,
    );
    initCustomMetadataIndex(db, 'device');
  },
  ignores: (event) => event.type === 'MetadataSet' && event.data.resource_type !== 'device',
  readIndexes: [
    { name: 'devices_by_workspace', on: 'devices (workspace_id, created_position)' },
    ...customMetadataIndexes('device'),
  ],
  search: DEVICES_LISTING,
  history: DEVICES_LISTING,

  apply(db, event) {
    switch (event.type) {
      case 'DeviceAdded': {
        const d = event.data;
        const record: DeviceRecord = { ...d, custom_metadata: {} };
        prepared(
          db,
          `INSERT OR REPLACE INTO devices
             (device_id, workspace_id, connected_account_id, connect_webview_id, device_type,
             created_at, created_position, account_disconnected_at, is_managed, record)
           VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)`,
        ).run(
          d.device_id,
          d.workspace_id,
          d.connected_account_id,
          d.connect_webview_id,
          d.device_type,
          d.created_at,
          event.position,
          d.is_managed === false ? 0 : 1,
          recordJson(record),
        );
        break;
      }
      case 'DeviceConvertedToUnmanaged':
      case 'DeviceConvertedToManaged':
        prepared(db, 'UPDATE devices SET is_managed = ? WHERE device_id = ?').run(
          event.type === 'DeviceConvertedToManaged' ? 1 : 0,
          event.data.device_id,
        );
        break;
      case 'ConnectedAccountSettingsChanged':
        if (event.data.customer_key === undefined) break;
        prepared(
          db,
          "UPDATE devices SET record = json_set(record, '$.customer_key', ?) WHERE connected_account_id = ?",
        ).run(event.data.customer_key, event.data.connected_account_id);
        break;
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

/** A device is deleted only with its account's erasure (erase-connected-account.ts): its past goes too. */
function deleteDevice(db: SqliteDatabase, deviceId: string): void {
  prepared(db, 'DELETE FROM devices WHERE device_id = ?').run(deviceId);
  removeCustomMetadataIndex(db, 'device', deviceId);
  forgetRowHistory(db, DEVICES_LISTING, deviceId);
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
    `SELECT record, custom_metadata, created_position, account_disconnected_at, is_managed FROM devices
     WHERE workspace_id = ? AND device_id = ?`,
  ).get(workspaceId, deviceId) as Row | undefined;
}

/** The workspace's device of that name (the oldest, should several share it), managed or not as asked. */
export function findDeviceIdByName(
  db: SqliteDatabase,
  workspaceId: string,
  name: string,
  scope: { managed: boolean; kind?: DeviceKind },
): string | undefined {
  const types = scope.kind ? [...DEVICE_TYPES[scope.kind]] : [];
  const sql = `SELECT device_id FROM devices WHERE workspace_id = ? AND json_extract(record, '$.name') = ?
               AND is_managed = ? ${types.length ? `AND device_type IN (${types.map(() => '?').join(', ')})` : ''}
               ORDER BY created_position LIMIT 1`;
  const row = prepared(db, sql).get(workspaceId, name, scope.managed ? 1 : 0, ...types) as
    { device_id: string } | undefined;
  return row?.device_id;
}

export function listDevices(
  db: SqliteDatabase,
  workspaceId: string,
  filter: DeviceFilter,
  request: PageRequest,
  nextPageUrl: (cursor: string) => string,
): { items: Row[]; pagination: Pagination } {
  return listNewestFirst<Row>(db, DEVICES_LISTING, workspaceId, deviceListFilter(filter), request, nextPageUrl);
}

/** The list query's conditions for a device filter (also what the query-plan test reads). */
export function deviceListFilter(filter: DeviceFilter): ListFilter {
  const where: string[] = [];
  const params: SqliteValue[] = [];
  const oneOf = (column: string, values: string[]) => {
    where.push(`${column} IN (${values.map(() => '?').join(', ')})`);
    params.push(...values);
  };
  where.push('r.is_managed = ?');
  params.push(filter.managed ? 1 : 0);
  if (filter.kind) oneOf('r.device_type', [...DEVICE_TYPES[filter.kind]]);
  for (const flag of filter.includeIf ?? []) oneOf('r.device_type', deviceTypesWithFlag(flag));
  for (const flag of filter.excludeIf ?? []) {
    const types = deviceTypesWithFlag(flag);
    where.push(`r.device_type NOT IN (${types.map(() => '?').join(', ')})`);
    params.push(...types);
  }
  if (filter.connectedAccountIds) oneOf('r.connected_account_id', filter.connectedAccountIds);
  if (filter.deviceIds) oneOf('r.device_id', filter.deviceIds);
  if (filter.connectWebviewId) oneOf('r.connect_webview_id', [filter.connectWebviewId]);
  if (filter.deviceTypes) oneOf('r.device_type', filter.deviceTypes);
  if (filter.manufacturer) oneOf("json_extract(r.record, '$.provider')", [filter.manufacturer]);
  if (filter.customerKey) oneOf("json_extract(r.record, '$.customer_key')", [filter.customerKey]);
  if (filter.createdBefore) {
    where.push('r.created_at < ?');
    params.push(filter.createdBefore);
  }
  return {
    customMetadataHas: filter.customMetadataHas,
    customMetadataMatch: filter.customMetadataMatch,
    search: filter.search,
    matchesNothing: filter.matchesNothing,
    asOf: filter.asOf,
    where,
    params,
  };
}

/**
 * Seam's capability flags for a device of that type: those of its kind true, every other false. Made once
 * per kind (a page of 100 devices built them 100 times: 7 % of its CPU, bench/large-lists.mjs profiled); the
 * object is spread into each device's, never shared.
 */
const capabilityFlagsByKind = new Map<DeviceKind | undefined, Readonly<Record<CapabilityFlag, boolean>>>();
function capabilityFlags(deviceType: string): Readonly<Record<CapabilityFlag, boolean>> {
  const kind = deviceKindOf(deviceType);
  let flags = capabilityFlagsByKind.get(kind);
  if (!flags) {
    const own: readonly CapabilityFlag[] = kind ? CAPABILITY_FLAGS_OF[kind] : [];
    flags = Object.freeze(
      Object.fromEntries(CAPABILITY_FLAGS.map((flag) => [flag, own.includes(flag)])) as Record<CapabilityFlag, boolean>,
    );
    capabilityFlagsByKind.set(kind, flags);
  }
  return flags;
}

/** What each kind of device reports in `properties` and `capabilities_supported`, as the sandbox simulates it. */
function kindProperties(kind: DeviceKind | undefined) {
  switch (kind) {
    case 'thermostat':
      return {
        capabilities_supported: ['thermostat'],
        properties: {
          temperature_celsius: 21,
          temperature_fahrenheit: 69.8,
          relative_humidity: 0.42,
          is_heating: false,
          is_cooling: false,
          is_fan_running: false,
          available_hvac_mode_settings: ['off', 'heat', 'cool', 'heat_cool'],
        },
      };
    case 'noise_sensor':
      return { capabilities_supported: ['noise_detection'], properties: { noise_level_decibels: 35 } };
    default:
      return { capabilities_supported: ['lock'], properties: { locked: true } };
  }
}

/** The public `device` object, as `@seamapi/types` defines it. */
export function toDeviceObject(row: Row) {
  return deviceObject(recordOf<DeviceRecord>(row), row.account_disconnected_at);
}

/** Seam's `unmanaged_device`: what a device shows while it is not managed. */
export function toUnmanagedDeviceObject(row: Row) {
  return unmanagedDeviceObject(toDeviceObject(row));
}

/**
 * The device object's JSON, managed or not, as `JSON.stringify` of `toDeviceObject` (or
 * `toUnmanagedDeviceObject`) would write it, from a template of its device type (json-template.ts): what
 * a page of devices answers. Its metadata goes in as the row holds it, which `setCustomMetadata` wrote with
 * `JSON.stringify`.
 */
export function deviceJson(row: Row, managed: boolean): SerializedJson {
  const record = JSON.parse(row.record) as DeviceAddedData;
  const disconnectedAt = row.account_disconnected_at;
  const values = [
    record.device_id,
    record.name,
    record.model,
    record.connected_account_id,
    record.workspace_id,
    record.created_at,
    { json: row.custom_metadata },
    disconnectedAt ?? '',
  ];
  const template = deviceTemplate(record, managed, disconnectedAt !== null);
  // A record without one of these (none is written so) is built and serialised as it is.
  if (!template || values.some((value) => value === undefined || value === null))
    return new SerializedJson(
      Buffer.from(JSON.stringify(managed ? toDeviceObject(row) : toUnmanagedDeviceObject(row))),
    );
  return template.render(values as HoleValue[]);
}

/** Bounded: device types and providers come from the providers, a handful of each. */
const MAX_DEVICE_TEMPLATES = 1000;
const deviceTemplates = new Map<string, JsonTemplate>();
function deviceTemplate(record: DeviceAddedData, managed: boolean, disconnected: boolean): JsonTemplate | undefined {
  const key = `${record.device_type}\u0000${record.provider}\u0000${managed}\u0000${disconnected}`;
  let template = deviceTemplates.get(key);
  if (!template && deviceTemplates.size < MAX_DEVICE_TEMPLATES) {
    template = jsonTemplate(
      8,
      ([deviceId, name, model, accountId, workspaceId, createdAt, metadata, disconnectedAt]) => {
        const shape: DeviceObjectFields = {
          device_type: record.device_type,
          provider: record.provider,
          device_id: deviceId,
          name,
          model,
          connected_account_id: accountId,
          workspace_id: workspaceId,
          created_at: createdAt,
          custom_metadata: metadata as unknown as CustomMetadata,
        };
        const device = deviceObject(shape, disconnected ? disconnectedAt : null);
        return managed ? device : unmanagedDeviceObject(device);
      },
    );
    deviceTemplates.set(key, template);
  }
  return template;
}

/**
 * What the device object is made of. A template fills each from a hole or from its key (the type and the
 * provider): a field read here beyond these has to be added to the template, or the template would not compile.
 */
type DeviceObjectFields = Pick<
  DeviceRecord,
  | 'device_id'
  | 'device_type'
  | 'name'
  | 'provider'
  | 'model'
  | 'connected_account_id'
  | 'workspace_id'
  | 'created_at'
  | 'custom_metadata'
>;

function deviceObject(record: DeviceObjectFields, accountDisconnectedAt: string | null) {
  const online = accountDisconnectedAt === null;
  const kind = kindProperties(deviceKindOf(record.device_type));
  return {
    device_id: record.device_id,
    device_type: record.device_type,
    display_name: record.name,
    nickname: record.name,
    capabilities_supported: kind.capabilities_supported,
    properties: {
      online,
      name: record.name,
      ...kind.properties,
      appearance: { name: record.name },
      manufacturer: record.provider,
      model: { display_name: record.model, manufacturer_display_name: PROVIDER_DISPLAY_NAMES[record.provider] },
    },
    ...capabilityFlags(record.device_type),
    // Seam's object, its fields unknown here: the sandbox providers report no location.
    location: {},
    connected_account_id: record.connected_account_id,
    workspace_id: record.workspace_id,
    errors:
      accountDisconnectedAt === null
        ? []
        : [{ ...accountDisconnectedError(accountDisconnectedAt), is_device_error: false as const }],
    warnings: [] as unknown[],
    created_at: record.created_at,
    is_managed: true as const,
    custom_metadata: record.custom_metadata,
    space_ids: [] as string[],
  };
}

function unmanagedDeviceObject(device: ReturnType<typeof deviceObject>) {
  const { display_name: _d, nickname: _n, space_ids: _s, properties, ...rest } = device;
  return {
    ...rest,
    is_managed: false as const,
    properties: {
      name: properties.name,
      online: properties.online,
      manufacturer: properties.manufacturer,
      model: properties.model,
    },
  };
}

/** Whether a row of the read models is a managed device (of the kind asked, when one is). */
export function isDeviceOf(row: Row, managed: boolean, kind?: DeviceKind): boolean {
  const record = recordOf<DeviceRecord>(row);
  return (row.is_managed === 1) === managed && (kind === undefined || deviceKindOf(record.device_type) === kind);
}

/** The account's devices in the read models. */
export function deviceIdsOfAccount(db: SqliteDatabase, workspaceId: string, connectedAccountId: string): string[] {
  const sql = 'SELECT device_id FROM devices WHERE workspace_id = ? AND connected_account_id = ? ORDER BY device_id';
  return (prepared(db, sql).all(workspaceId, connectedAccountId) as { device_id: string }[]).map((r) => r.device_id);
}
