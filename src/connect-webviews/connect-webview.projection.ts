import type { WebviewTokens } from './webview-tokens.js';
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
import type { ConnectWebviewCreatedData, ConnectWebviewEvent } from './connect-webview.js';
import type { CustomMetadataMatch } from '../custom-metadata/custom-metadata-selector.js';

/** The stored form of a webview: everything of the public object but its `url`, which depends on config. */
export interface ConnectWebviewRecord extends ConnectWebviewCreatedData {
  custom_metadata: CustomMetadata;
  connected_account_id: string | null;
  status: 'pending' | 'failed' | 'authorized';
  login_successful: boolean;
  authorized_at: string | null;
  selected_provider: string | null;
}

interface Row extends RecordColumns {
  created_position: number;
}

/** How the list route reads the table (its `search` fields among it). */
export const CONNECT_WEBVIEWS_LISTING: ListedTable = {
  table: 'connect_webviews',
  idColumn: 'connect_webview_id',
  resourceType: 'connect_webview',
  columns: 'r.record',
  searchable: (row) => [`${row}.connect_webview_id`, `json_extract(${row}.record, '$.customer_key')`],
};

export const connectWebviewReadModel = sqliteProjection<ConnectWebviewEvent>({
  name: 'connect_webviews',
  version: 6, // 6: the rows' history, for lists as of a moment (row-history.ts)
  readableFrom: 4,
  handles: ['ConnectWebviewCreated', 'MetadataSet', 'ConnectWebviewAuthorized', 'ConnectWebviewDeleted'],
  init: (db) => {
    db.exec(
      `
    CREATE TABLE IF NOT EXISTS connect_webviews (
      connect_webview_id TEXT PRIMARY KEY,
      workspace_id       TEXT NOT NULL,
      created_position   INTEGER NOT NULL,
      record             TEXT NOT NULL,
      ${CUSTOM_METADATA_COLUMN_DDL}
    );
  `,
    );
    initCustomMetadataIndex(db, 'connect_webview');
  },
  ignores: (event) => event.type === 'MetadataSet' && event.data.resource_type !== 'connect_webview',
  readIndexes: [
    { name: 'connect_webviews_by_workspace', on: 'connect_webviews (workspace_id, created_position)' },
    ...customMetadataIndexes('connect_webview'),
  ],
  search: CONNECT_WEBVIEWS_LISTING,
  // A deleted webview's past stays: its deletion is no erasure, and its events stay readable.
  history: CONNECT_WEBVIEWS_LISTING,

  apply(db, event) {
    switch (event.type) {
      case 'ConnectWebviewCreated': {
        const record: ConnectWebviewRecord = {
          ...event.data,
          custom_metadata: {},
          connected_account_id: null,
          status: 'pending',
          login_successful: false,
          authorized_at: null,
          selected_provider: null,
        };
        prepared(
          db,
          `INSERT OR REPLACE INTO connect_webviews (connect_webview_id, workspace_id, created_position, record)
           VALUES (?, ?, ?, ?)`,
        ).run(event.data.connect_webview_id, event.data.workspace_id, event.position, recordJson(record));
        break;
      }
      case 'MetadataSet':
        if (event.data.resource_type === 'connect_webview') {
          setCustomMetadata(db, CONNECT_WEBVIEWS_LISTING, event.data, event.data.custom_metadata);
        }
        break;
      case 'ConnectWebviewAuthorized': {
        const record = findConnectWebview(db, event.data.workspace_id, event.data.connect_webview_id);
        if (!record) break;
        save(db, {
          ...record,
          connected_account_id: event.data.connected_account_id,
          status: 'authorized',
          login_successful: true,
          authorized_at: event.data.authorized_at,
          selected_provider: event.data.selected_provider,
        });
        break;
      }
      case 'ConnectWebviewDeleted':
        prepared(db, 'DELETE FROM connect_webviews WHERE connect_webview_id = ?').run(event.data.connect_webview_id);
        removeCustomMetadataIndex(db, 'connect_webview', event.data.connect_webview_id);
        break;
    }
  },
});

function save(db: SqliteDatabase, record: ConnectWebviewRecord): void {
  prepared(db, 'UPDATE connect_webviews SET record = ? WHERE connect_webview_id = ?').run(
    recordJson(record),
    record.connect_webview_id,
  );
}

export function findConnectWebview(
  db: SqliteDatabase,
  workspaceId: string,
  connectWebviewId: string,
): ConnectWebviewRecord | undefined {
  const row = prepared(
    db,
    'SELECT record, custom_metadata FROM connect_webviews WHERE workspace_id = ? AND connect_webview_id = ?',
  ).get(workspaceId, connectWebviewId) as Row | undefined;
  return row ? recordOf<ConnectWebviewRecord>(row) : undefined;
}

/** For the hosted page, whose visitor has the webview's id and nothing else. */
export function findConnectWebviewAnyWorkspace(
  db: SqliteDatabase,
  connectWebviewId: string,
): ConnectWebviewRecord | undefined {
  const sql = 'SELECT record, custom_metadata FROM connect_webviews WHERE connect_webview_id = ?';
  const row = prepared(db, sql).get(connectWebviewId) as Row | undefined;
  return row ? recordOf<ConnectWebviewRecord>(row) : undefined;
}

export interface ConnectWebviewFilter {
  customMetadataHas?: CustomMetadata;
  customMetadataMatch?: CustomMetadataMatch;
  search?: string;
  customerKey?: string;
  matchesNothing?: boolean;
  /** `as_of`, in epoch milliseconds: the list as it was then. */
  asOf?: number;
}

export function listConnectWebviews(
  db: SqliteDatabase,
  workspaceId: string,
  filter: ConnectWebviewFilter,
  request: PageRequest,
  nextPageUrl: (cursor: string) => string,
): { items: ConnectWebviewRecord[]; pagination: Pagination } {
  const { customerKey, ...common } = filter;
  const where =
    customerKey === undefined ? {} : { where: ["json_extract(r.record, '$.customer_key') = ?"], params: [customerKey] };
  const result = listNewestFirst<Row>(
    db,
    CONNECT_WEBVIEWS_LISTING,
    workspaceId,
    { ...common, ...where },
    request,
    nextPageUrl,
  );
  return {
    items: result.items.map((row) => recordOf<ConnectWebviewRecord>(row)),
    pagination: result.pagination,
  };
}

/** The public `connect_webview` object, as `@seamapi/types` defines it. */
/** The end user's page: the webview's id and, for webviews that have one, its `auth_token`. */
function hostedPageUrl(record: ConnectWebviewRecord, publicUrl: string, tokens: WebviewTokens): string {
  const query = new URLSearchParams({ connect_webview_id: record.connect_webview_id });
  const token = record.auth_token_derived ? tokens.tokenFor(record.connect_webview_id) : record.auth_token;
  if (token !== undefined) query.set('auth_token', token);
  return `${publicUrl}/connect_webviews/view?${query.toString()}`;
}

export function toConnectWebviewObject(record: ConnectWebviewRecord, publicUrl: string, tokens: WebviewTokens) {
  return {
    connect_webview_id: record.connect_webview_id,
    workspace_id: record.workspace_id,
    created_at: record.created_at,
    connected_account_id: record.connected_account_id,
    url: hostedPageUrl(record, publicUrl, tokens),
    device_selection_mode: record.device_selection_mode,
    accepted_providers: record.accepted_providers,
    accepted_capabilities: record.accepted_capabilities,
    accepted_devices: [] as string[],
    any_device_allowed: false,
    any_provider_allowed: record.any_provider_allowed,
    login_successful: record.login_successful,
    status: record.status,
    custom_redirect_url: record.custom_redirect_url,
    custom_redirect_failure_url: record.custom_redirect_failure_url,
    custom_metadata: record.custom_metadata,
    automatically_manage_new_devices: record.automatically_manage_new_devices,
    wait_for_device_creation: record.wait_for_device_creation,
    authorized_at: record.authorized_at,
    selected_provider: record.selected_provider,
    ...(record.customer_key !== null ? { customer_key: record.customer_key } : {}),
  };
}
