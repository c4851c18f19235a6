import { LRUCache } from 'lru-cache';
import type { SqliteDatabase, SqliteValue } from '../common/sqlite.js';
import { prepared } from '../common/prepared.js';
import { EXTENSION_EVENT_TYPES, type PublicEvent, type PublicEventFilter } from './public-event.js';
import type { EventMetadataSelector } from '../custom-metadata/custom-metadata-selector.js';

interface Row {
  sequence: number;
  body: string;
}

const toEntry = (row: Row) => ({ sequence: row.sequence, event: JSON.parse(row.body) as PublicEvent });

// Queries whose SQL follows the caller's filters are prepared per call, not cached (see prepared.ts).

/** Oldest first. `afterSequence` continues a stream (SSE, webhook delivery) past the last event handed out. */
export function findPublicEvents(
  db: SqliteDatabase,
  workspaceId: string,
  filter: PublicEventFilter,
  limit: number,
  offset = 0,
): { sequence: number; event: PublicEvent }[] {
  const { sql, params } = whereOf(workspaceId, filter);
  const rows = db
    .prepare(`SELECT sequence, body FROM public_events WHERE ${sql} ORDER BY sequence LIMIT ? OFFSET ?`)
    .all(...params, limit, offset) as unknown as Row[];
  return rows.map(toEntry);
}

/**
 * The same events as `findPublicEvents`, as stored (JSON, UTF-8 bytes): what an event stream passes on
 * without parsing. Every stream of a workspace sends the same new events, so each body is read once into
 * `bodies`, shared by the streams, and the same bytes are written to every socket.
 */
export function findPublicEventTexts(
  db: SqliteDatabase,
  workspaceId: string,
  filter: PublicEventFilter,
  limit: number,
  bodies: RecentEventBodies,
): { sequence: number; event_id: string; event_type: string; body: Uint8Array }[] {
  const { sql, params } = whereOf(workspaceId, filter);
  const query = `SELECT sequence, event_id, event_type FROM public_events WHERE ${sql} ORDER BY sequence LIMIT ?`;
  const rows = db.prepare(query).all(...params, limit) as unknown as {
    sequence: number;
    event_id: string;
    event_type: string;
  }[];
  return rows.map((row) => ({ ...row, body: bodies.of(db, row.sequence) }));
}

/**
 * The bodies of recently streamed events, least recently used out beyond 16 MiB: many streams read the
 * same new events. Owned by what serves the streams; emptied when the read models it reads are another
 * database (after a swap).
 */
export class RecentEventBodies {
  private readonly bodies = new LRUCache<number, Uint8Array>({
    maxSize: 16 * 1024 * 1024,
    sizeCalculation: (body) => Math.max(1, body.byteLength),
  });
  private db: SqliteDatabase | undefined;

  of(db: SqliteDatabase, sequence: number): Uint8Array {
    if (db !== this.db) {
      this.bodies.clear();
      this.db = db;
    }
    let body = this.bodies.get(sequence);
    if (!body) {
      const sql = 'SELECT CAST(body AS BLOB) AS body FROM public_events WHERE sequence = ?';
      body = (prepared(db, sql).get(sequence) as { body: Uint8Array }).body;
      this.bodies.set(sequence, body);
    }
    return body;
  }
}

/** The newest event that matches: `events/get` by `event_type` or `device_id`. */
export function findNewestPublicEvent(
  db: SqliteDatabase,
  workspaceId: string,
  filter: PublicEventFilter,
): PublicEvent | undefined {
  const { sql, params } = whereOf(workspaceId, filter);
  const row = db
    .prepare(`SELECT sequence, body FROM public_events WHERE ${sql} ORDER BY sequence DESC LIMIT 1`)
    .get(...params) as Row | undefined;
  return row ? toEntry(row).event : undefined;
}

/**
 * The snapshot of an event's own resource's metadata as it was at the event, as SQL on the table `alias`:
 * `device_custom_metadata` for a device event, `connected_account_custom_metadata` for an account's, and for
 * a webview's the snapshot kept beside it (Seam's webview events carry none).
 */
export const subjectMetadata = (alias: string) => `CASE
    WHEN ${alias}.event_type LIKE 'device.%' THEN ${alias}.body -> '$.device_custom_metadata'
    WHEN ${alias}.event_type LIKE 'connected_account.%' THEN ${alias}.body -> '$.connected_account_custom_metadata'
    ELSE coalesce(${alias}.body -> '$.connect_webview_custom_metadata',
      (SELECT w.custom_metadata FROM public_event_webview_snapshots w WHERE w.sequence = ${alias}.sequence)) END`;

/** The snapshot of the event's account's metadata; NULL for an event of no account. */
export const accountMetadata = (alias: string) => `${alias}.body -> '$.connected_account_custom_metadata'`;

function whereOf(workspaceId: string, filter: PublicEventFilter): { sql: string; params: SqliteValue[] } {
  const where = ['workspace_id = ?'];
  const params: SqliteValue[] = [workspaceId];
  const add = (sql: string, ...values: SqliteValue[]) => {
    where.push(sql);
    params.push(...values);
  };
  if (filter.since) add('occurred_at >= ?', filter.since);
  if (filter.after) add('occurred_at > ?', filter.after);
  if (filter.until) add('occurred_at < ?', filter.until);
  if (filter.afterSequence !== undefined) add('sequence > ?', filter.afterSequence);
  if (filter.deviceIds) add(`device_id IN (${filter.deviceIds.map(() => '?').join(', ')})`, ...filter.deviceIds);
  if (filter.connectedAccountId) add('connected_account_id = ?', filter.connectedAccountId);
  if (filter.connectWebviewId) add('connect_webview_id = ?', filter.connectWebviewId);
  if (filter.eventIds) add(`event_id IN (${filter.eventIds.map(() => '?').join(', ')})`, ...filter.eventIds);
  if (filter.customerKey) add('customer_key = ?', filter.customerKey);
  if (filter.matchesNothing) add('0');
  if (filter.customMetadataMatch)
    add(`custom_metadata_matches(${subjectMetadata('public_events')}, ?)`, JSON.stringify(filter.customMetadataMatch));
  if (filter.connectedAccountCustomMetadataMatch)
    add(
      `custom_metadata_matches(${accountMetadata('public_events')}, ?)`,
      JSON.stringify(filter.connectedAccountCustomMetadataMatch),
    );
  const types = eventTypeCondition(filter.eventTypes);
  add(types.sql, ...types.params);
  return { sql: where.join(' AND '), params };
}

export function findPublicEvent(
  db: SqliteDatabase,
  workspaceId: string,
  eventId: string,
): { sequence: number; event: PublicEvent } | undefined {
  const sql = 'SELECT sequence, body FROM public_events WHERE workspace_id = ? AND event_id = ?';
  const row = prepared(db, sql).get(workspaceId, eventId) as Row | undefined;
  return row ? toEntry(row) : undefined;
}

/** The workspace's newest public event, or -1: where a stream that asks for what happens next starts. */
export function newestPublicEventSequence(db: SqliteDatabase, workspaceId: string): number {
  const sql = 'SELECT MAX(sequence) AS sequence FROM public_events WHERE workspace_id = ?';
  return (prepared(db, sql).get(workspaceId) as { sequence: number | null }).sequence ?? -1;
}

/** How many of the workspace's public events (of `eventTypes`, when given) come after `afterSequence`. */
export function countPublicEvents(
  db: SqliteDatabase,
  workspaceId: string,
  afterSequence: number,
  eventTypes?: readonly string[],
): number {
  const types = eventTypeCondition(eventTypes);
  const sql = `SELECT COUNT(*) AS n FROM public_events WHERE workspace_id = ? AND sequence > ? AND ${types.sql}`;
  return (db.prepare(sql).get(workspaceId, afterSequence, ...types.params) as { n: number }).n;
}

/** The types asked for; when none are, every type but the extensions (opt-in). */
function eventTypeCondition(eventTypes: readonly string[] | undefined): { sql: string; params: string[] } {
  const list = eventTypes ?? EXTENSION_EVENT_TYPES;
  const placeholders = list.map(() => '?').join(', ');
  return { sql: `event_type ${eventTypes ? 'IN' : 'NOT IN'} (${placeholders})`, params: [...list] };
}

/** The last public event, of any workspace, before `sequence`; -1 when there is none. */
export function lastPublicEventBefore(db: SqliteDatabase, sequence: number): number {
  const sql = 'SELECT MAX(sequence) AS sequence FROM public_events WHERE sequence < ?';
  return (prepared(db, sql).get(sequence) as { sequence: number | null }).sequence ?? -1;
}

/** The newest public event of any workspace, or -1: the head the webhook dispatcher fans out up to. */
export function newestPublicEventSequenceOfAll(db: SqliteDatabase): number {
  const sql = 'SELECT MAX(sequence) AS sequence FROM public_events';
  return (prepared(db, sql).get() as { sequence: number | null }).sequence ?? -1;
}

/** The workspaces with public events after `afterSequence`, each with its newest: whom to tell of them. */
export function workspacesWithPublicEventsAfter(
  db: SqliteDatabase,
  afterSequence: number,
): { workspace_id: string; sequence: number }[] {
  const sql =
    'SELECT workspace_id, MAX(sequence) AS sequence FROM public_events WHERE sequence > ? GROUP BY workspace_id';
  return prepared(db, sql).all(afterSequence) as unknown as { workspace_id: string; sequence: number }[];
}

/** Every workspace's public events after `afterSequence`, oldest first, unparsed: what the dispatcher fans out. */
export function publicEventsAfter(db: SqliteDatabase, afterSequence: number, limit: number): FannedOutEvent[] {
  const sql = `SELECT sequence, workspace_id, event_type, body,
                 ${subjectMetadata('public_events')} AS subject_custom_metadata,
                 ${accountMetadata('public_events')} AS account_custom_metadata
               FROM public_events WHERE sequence > ? ORDER BY sequence LIMIT ?`;
  return prepared(db, sql).all(afterSequence, limit) as unknown as FannedOutEvent[];
}

/** A public event as the webhook dispatcher fans it out: unparsed, with the snapshots selectors match (JSON). */
export interface FannedOutEvent {
  sequence: number;
  workspace_id: string;
  event_type: string;
  body: string;
  subject_custom_metadata: string | null;
  account_custom_metadata: string | null;
}

/**
 * How many events each subscription has not been given yet, in one grouped query: for each, the events of its
 * workspace after its `after_sequence`, of its types (every type but the extensions when it names none).
 */
export function countPendingPublicEvents(
  db: SqliteDatabase,
  subscriptions: readonly {
    id: string;
    workspaceId: string;
    afterSequence: number;
    eventTypes: readonly string[] | null;
    metadataSelector?: EventMetadataSelector | null;
  }[],
): Map<string, number> {
  const counts = new Map<string, number>(subscriptions.map((s) => [s.id, 0]));
  if (subscriptions.length === 0) return counts;
  const sql = `
    WITH s AS (
      SELECT value ->> 'id' AS id, value ->> 'workspace_id' AS workspace_id, value ->> 'after' AS after,
             value ->> 'types' AS types, value ->> 'own' AS own, value ->> 'account' AS account
      FROM json_each(?)
    )
    SELECT s.id AS id, COUNT(p.sequence) AS n
    FROM s JOIN public_events p ON p.workspace_id = s.workspace_id AND p.sequence > s.after
    WHERE CASE WHEN s.types IS NULL
               THEN p.event_type NOT IN (SELECT value FROM json_each(?))
               ELSE p.event_type IN (SELECT value FROM json_each(s.types)) END
      AND (s.own IS NULL OR custom_metadata_matches(${subjectMetadata('p')}, s.own))
      AND (s.account IS NULL OR custom_metadata_matches(${accountMetadata('p')}, s.account))
    GROUP BY s.id`;
  const rows = prepared(db, sql).all(
    JSON.stringify(
      subscriptions.map((s) => ({
        id: s.id,
        workspace_id: s.workspaceId,
        after: s.afterSequence,
        types: s.eventTypes,
        own: s.metadataSelector?.custom_metadata_match ?? null,
        account: s.metadataSelector?.connected_account_custom_metadata_match ?? null,
      })),
    ),
    JSON.stringify(EXTENSION_EVENT_TYPES),
  ) as { id: string; n: number }[];
  for (const row of rows) counts.set(row.id, row.n);
  return counts;
}
