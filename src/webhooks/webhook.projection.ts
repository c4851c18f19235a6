import type { SqliteDatabase } from '../common/sqlite.js';
import { prepared } from '../common/prepared.js';
import { sqliteProjection } from '../read-models/projection.js';
import type { WebhookEvent, WebhookSelectorChange } from './webhook.js';
import type { EventMetadataSelector } from '../custom-metadata/custom-metadata-selector.js';

export interface WebhookRecord {
  webhook_id: string;
  workspace_id: string;
  url: string;
  /** null: every event type. */
  event_types: string[] | null;
  secret: string;
  /** The secret before the last rotation, which still signs until `previous_secret_valid_until`. */
  previous_secret: string | null;
  previous_secret_valid_until: string | null;
  created_at: string;
  created_position: number;
  /** An extension: only the events whose metadata snapshots match; null for every event. */
  metadata_selector: EventMetadataSelector | null;
}

interface Row extends Omit<WebhookRecord, 'event_types' | 'metadata_selector'> {
  event_types: string | null;
  metadata_selector: string | null;
}

export const webhookReadModel = sqliteProjection<WebhookEvent>({
  name: 'webhooks',
  version: 2,
  handles: ['WebhookCreated', 'WebhookUpdated', 'WebhookSecretRotated', 'WebhookDeleted'],
  init: (db) =>
    db.exec(`
    CREATE TABLE IF NOT EXISTS webhooks (
      webhook_id       TEXT PRIMARY KEY,
      workspace_id     TEXT NOT NULL,
      url              TEXT NOT NULL,
      event_types      TEXT,
      secret           TEXT NOT NULL,
      previous_secret  TEXT,
      previous_secret_valid_until TEXT,
      created_at       TEXT NOT NULL,
      created_position INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS webhooks_by_workspace ON webhooks (workspace_id, created_position);
    CREATE TABLE IF NOT EXISTS webhook_set_version (
      id      INTEGER PRIMARY KEY CHECK (id = 1),
      version INTEGER NOT NULL
    );
    INSERT OR IGNORE INTO webhook_set_version (id, version) VALUES (1, 0);
    -- A table of its own, not a column: a file of an older build takes it as it is, and has none to fill.
    CREATE TABLE IF NOT EXISTS webhook_metadata_selectors (
      webhook_id       TEXT PRIMARY KEY,
      workspace_id     TEXT NOT NULL,
      selector         TEXT NOT NULL
    );
  `),

  apply(db, event) {
    // Any change to the set of webhooks: the dispatcher re-reads them only when this moves.
    prepared(db, 'UPDATE webhook_set_version SET version = version + 1 WHERE id = 1').run();
    switch (event.type) {
      case 'WebhookCreated': {
        const d = event.data;
        prepared(
          db,
          `INSERT OR REPLACE INTO webhooks
             (webhook_id, workspace_id, url, event_types, secret, created_at, created_position)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          d.webhook_id,
          d.workspace_id,
          d.url,
          d.event_types ? JSON.stringify(d.event_types) : null,
          d.secret,
          d.created_at,
          event.position,
        );
        if (d.metadata_selector) writeSelector(db, d.webhook_id, d.workspace_id, d.metadata_selector);
        break;
      }
      case 'WebhookUpdated':
        if (event.data.url !== undefined)
          prepared(db, 'UPDATE webhooks SET url = ? WHERE webhook_id = ?').run(event.data.url, event.data.webhook_id);
        if (event.data.event_types !== undefined) {
          prepared(db, 'UPDATE webhooks SET event_types = ? WHERE webhook_id = ?').run(
            event.data.event_types ? JSON.stringify(event.data.event_types) : null,
            event.data.webhook_id,
          );
        }
        if (event.data.metadata_selector !== undefined) changeSelector(db, event.data, event.data.metadata_selector);
        break;
      case 'WebhookSecretRotated':
        prepared(
          db,
          `UPDATE webhooks SET previous_secret = secret, previous_secret_valid_until = ?, secret = ?
           WHERE webhook_id = ?`,
        ).run(event.data.previous_secret_valid_until, event.data.secret, event.data.webhook_id);
        break;
      case 'WebhookDeleted':
        prepared(db, 'DELETE FROM webhooks WHERE webhook_id = ?').run(event.data.webhook_id);
        prepared(db, 'DELETE FROM webhook_metadata_selectors WHERE webhook_id = ?').run(event.data.webhook_id);
        break;
    }
  },
});

function writeSelector(db: SqliteDatabase, webhookId: string, workspaceId: string, selector: EventMetadataSelector) {
  if (Object.keys(selector).length === 0) {
    prepared(db, 'DELETE FROM webhook_metadata_selectors WHERE webhook_id = ?').run(webhookId);
    return;
  }
  prepared(
    db,
    'INSERT OR REPLACE INTO webhook_metadata_selectors (webhook_id, workspace_id, selector) VALUES (?, ?, ?)',
  ).run(webhookId, workspaceId, JSON.stringify(selector));
}

/** Each part the update names replaces the webhook's, or removes it (null); the others stay. */
function changeSelector(
  db: SqliteDatabase,
  webhook: { webhook_id: string; workspace_id: string },
  change: WebhookSelectorChange,
) {
  const sql = 'SELECT selector FROM webhook_metadata_selectors WHERE webhook_id = ?';
  const row = prepared(db, sql).get(webhook.webhook_id) as { selector: string } | undefined;
  const selector: EventMetadataSelector = row ? (JSON.parse(row.selector) as EventMetadataSelector) : {};
  for (const part of ['custom_metadata_match', 'connected_account_custom_metadata_match'] as const) {
    const value = change[part];
    if (value === null) delete selector[part];
    else if (value !== undefined) selector[part] = value;
  }
  writeSelector(db, webhook.webhook_id, webhook.workspace_id, selector);
}

const fromRow = (row: Row): WebhookRecord => ({
  ...row,
  event_types: row.event_types ? (JSON.parse(row.event_types) as string[]) : null,
  metadata_selector: row.metadata_selector ? (JSON.parse(row.metadata_selector) as EventMetadataSelector) : null,
});

const SELECT_WEBHOOKS = `SELECT w.*, s.selector AS metadata_selector
  FROM webhooks w LEFT JOIN webhook_metadata_selectors s ON s.webhook_id = w.webhook_id`;

export function findWebhook(db: SqliteDatabase, workspaceId: string, webhookId: string): WebhookRecord | undefined {
  const row = prepared(db, `${SELECT_WEBHOOKS} WHERE w.workspace_id = ? AND w.webhook_id = ?`).get(
    workspaceId,
    webhookId,
  ) as Row | undefined;
  return row ? fromRow(row) : undefined;
}

export function listWebhooks(db: SqliteDatabase, workspaceId?: string): WebhookRecord[] {
  const rows = (workspaceId === undefined
    ? prepared(db, `${SELECT_WEBHOOKS} ORDER BY w.created_position`).all()
    : prepared(db, `${SELECT_WEBHOOKS} WHERE w.workspace_id = ? ORDER BY w.created_position`).all(
        workspaceId,
      )) as unknown as Row[];
  return rows.map(fromRow);
}

/** Moves on every change to any webhook: one cheap read tells the dispatcher whether to re-read them. */
export function webhookSetVersion(db: SqliteDatabase): number {
  return (prepared(db, 'SELECT version FROM webhook_set_version WHERE id = 1').get() as { version: number }).version;
}

export function countWebhooks(db: SqliteDatabase, workspaceId: string): number {
  return (prepared(db, 'SELECT COUNT(*) AS n FROM webhooks WHERE workspace_id = ?').get(workspaceId) as { n: number })
    .n;
}

/** The secrets that sign a delivery now: the current one, and the previous one during its grace period. */
export function signingSecrets(webhook: WebhookRecord, now = new Date().toISOString()): string[] {
  const previousValid = webhook.previous_secret !== null && (webhook.previous_secret_valid_until ?? '') > now;
  return previousValid ? [webhook.secret, webhook.previous_secret as string] : [webhook.secret];
}
