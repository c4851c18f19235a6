import { forgetRowHistory } from '../read-models/row-history.js';
import type { SqliteDatabase } from '../common/sqlite.js';
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
import { listNewestFirst, type ListedTable } from '../read-models/list-newest-first.js';
import type { PageRequest, Pagination } from '../read-models/pagination.js';
import { sqliteProjection } from '../read-models/projection.js';
import { prepared } from '../common/prepared.js';
import { PROVIDER_DISPLAY_NAMES, type Provider, type ProviderCapability } from '../providers/providers.js';
import type { ConnectedAccountEvent } from './connected-account.js';
import type { CustomMetadataMatch } from '../custom-metadata/custom-metadata-selector.js';

export interface ConnectedAccountRecord {
  connected_account_id: string;
  workspace_id: string;
  provider: Provider;
  email: string;
  created_at: string;
  custom_metadata: CustomMetadata;
  automatically_manage_new_devices: boolean;
  accepted_capabilities: ProviderCapability[];
  customer_key?: string | null;
  display_name?: string;
  disconnected_at: string | null;
}

interface Row extends RecordColumns {
  created_position: number;
}

/** How the list route reads the table (its `search` fields among it). */
export const CONNECTED_ACCOUNTS_LISTING: ListedTable = {
  table: 'connected_accounts',
  idColumn: 'connected_account_id',
  resourceType: 'connected_account',
  columns: 'r.record',
  searchable: (row) => [`${row}.connected_account_id`, `${row}.email`, `json_extract(${row}.record, '$.provider')`],
};

export const connectedAccountReadModel = sqliteProjection<ConnectedAccountEvent>({
  name: 'connected_accounts',
  version: 6, // 6: the rows' history, for lists as of a moment (row-history.ts)
  readableFrom: 4,
  handles: [
    'ConnectedAccountCreated',
    'MetadataSet',
    'ConnectedAccountReconnected',
    'ConnectedAccountDisconnected',
    'ConnectedAccountSettingsChanged',
    'ConnectedAccountDeleted',
  ],
  init: (db) => {
    db.exec(
      `
    CREATE TABLE IF NOT EXISTS connected_accounts (
      connected_account_id TEXT PRIMARY KEY,
      workspace_id         TEXT NOT NULL,
      email                TEXT NOT NULL,
      created_position     INTEGER NOT NULL,
      record               TEXT NOT NULL,
      ${CUSTOM_METADATA_COLUMN_DDL}
    );
  `,
    );
    initCustomMetadataIndex(db, 'connected_account');
  },
  ignores: (event) => event.type === 'MetadataSet' && event.data.resource_type !== 'connected_account',
  readIndexes: [
    { name: 'connected_accounts_by_workspace', on: 'connected_accounts (workspace_id, created_position)' },
    { name: 'connected_accounts_by_email', on: 'connected_accounts (workspace_id, email)' },
    ...customMetadataIndexes('connected_account'),
  ],
  search: CONNECTED_ACCOUNTS_LISTING,
  history: CONNECTED_ACCOUNTS_LISTING,

  apply(db, event) {
    if (event.type === 'ConnectedAccountCreated') {
      const { connect_webview_id: _webview, user_identifier, ...data } = event.data;
      const record: ConnectedAccountRecord = {
        ...data,
        email: user_identifier.email,
        custom_metadata: {},
        disconnected_at: null,
      };
      prepared(
        db,
        `INSERT OR REPLACE INTO connected_accounts (connected_account_id, workspace_id, email, created_position, record)
         VALUES (?, ?, ?, ?, ?)`,
      ).run(data.connected_account_id, data.workspace_id, record.email, event.position, recordJson(record));
      return;
    }
    if (event.type === 'MetadataSet') {
      if (event.data.resource_type === 'connected_account') {
        setCustomMetadata(db, CONNECTED_ACCOUNTS_LISTING, event.data, event.data.custom_metadata);
      }
      return;
    }
    if (event.type === 'ConnectedAccountDeleted') {
      prepared(db, 'DELETE FROM connected_accounts WHERE connected_account_id = ?').run(
        event.data.connected_account_id,
      );
      removeCustomMetadataIndex(db, 'connected_account', event.data.connected_account_id);
      // An erasure (erase-connected-account.ts): the account's past goes with it.
      forgetRowHistory(db, CONNECTED_ACCOUNTS_LISTING, event.data.connected_account_id);
      return;
    }
    const record = findConnectedAccount(db, event.data.workspace_id, {
      connectedAccountId: event.data.connected_account_id,
    });
    if (!record) return;
    switch (event.type) {
      case 'ConnectedAccountReconnected':
        save(db, { ...record, disconnected_at: null });
        break;
      case 'ConnectedAccountDisconnected':
        save(db, { ...record, disconnected_at: event.data.disconnected_at });
        break;
      case 'ConnectedAccountSettingsChanged': {
        const { connected_account_id: _id, workspace_id: _workspace, ...settings } = event.data;
        save(db, { ...record, ...settings });
        break;
      }
    }
  },
});

function save(db: SqliteDatabase, record: ConnectedAccountRecord): void {
  prepared(db, 'UPDATE connected_accounts SET record = ? WHERE connected_account_id = ?').run(
    recordJson(record),
    record.connected_account_id,
  );
}

export function findConnectedAccount(
  db: SqliteDatabase,
  workspaceId: string,
  by: { connectedAccountId: string } | { email: string },
): ConnectedAccountRecord | undefined {
  const row = (
    'connectedAccountId' in by
      ? prepared(
          db,
          'SELECT record, custom_metadata FROM connected_accounts WHERE workspace_id = ? AND connected_account_id = ?',
        ).get(workspaceId, by.connectedAccountId)
      : prepared(
          db,
          `SELECT record, custom_metadata FROM connected_accounts WHERE workspace_id = ? AND email = ?
           ORDER BY created_position LIMIT 1`,
        ).get(workspaceId, by.email.trim().toLowerCase())
  ) as Row | undefined;
  return row ? recordOf<ConnectedAccountRecord>(row) : undefined;
}

export interface ConnectedAccountFilter {
  customMetadataHas?: CustomMetadata;
  customMetadataMatch?: CustomMetadataMatch;
  search?: string;
  customerKey?: string;
  matchesNothing?: boolean;
  /** `as_of`, in epoch milliseconds: the list as it was then. */
  asOf?: number;
}

export function listConnectedAccounts(
  db: SqliteDatabase,
  workspaceId: string,
  filter: ConnectedAccountFilter,
  request: PageRequest,
  nextPageUrl: (cursor: string) => string,
): { items: ConnectedAccountRecord[]; pagination: Pagination } {
  const where = filter.customerKey === undefined ? [] : ["json_extract(r.record, '$.customer_key') = ?"];
  const result = listNewestFirst<Row>(
    db,
    CONNECTED_ACCOUNTS_LISTING,
    workspaceId,
    {
      customMetadataHas: filter.customMetadataHas,
      customMetadataMatch: filter.customMetadataMatch,
      search: filter.search,
      matchesNothing: filter.matchesNothing,
      asOf: filter.asOf,
      where,
      params: filter.customerKey === undefined ? [] : [filter.customerKey],
    },
    request,
    nextPageUrl,
  );
  return {
    items: result.items.map((row) => recordOf<ConnectedAccountRecord>(row)),
    pagination: result.pagination,
  };
}

export function accountDisconnectedError(disconnectedAt: string) {
  return {
    error_code: 'account_disconnected',
    message: 'Account disconnected: reconnect it through a Connect Webview',
    is_connected_account_error: true,
    created_at: disconnectedAt,
  };
}

/** The public `connected_account` object, as `@seamapi/types` defines it. */
export function toConnectedAccountObject(record: ConnectedAccountRecord) {
  return {
    connected_account_id: record.connected_account_id,
    created_at: record.created_at,
    user_identifier: { email: record.email },
    account_type: record.provider,
    account_type_display_name: PROVIDER_DISPLAY_NAMES[record.provider],
    display_name: record.display_name ?? record.email,
    errors: record.disconnected_at ? [accountDisconnectedError(record.disconnected_at)] : [],
    warnings: [] as unknown[],
    custom_metadata: record.custom_metadata,
    automatically_manage_new_devices: record.automatically_manage_new_devices,
    accepted_capabilities: record.accepted_capabilities,
    ...(record.customer_key ? { customer_key: record.customer_key } : {}),
  };
}
