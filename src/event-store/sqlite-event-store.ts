import { setTimeout as sleep } from 'node:timers/promises';
import { openSqlite, type SqliteDatabase, type SqliteStatement, type SqliteValue } from '../common/sqlite.js';
import {
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeToAllOptions,
} from './event-store.js';
import { metrics } from '../common/metrics.js';
import { prepared } from '../common/prepared.js';
import { GroupCommit } from './group-commit.js';
import type { AppendOutcome } from './sqlite-appends.js';
import { SqliteCommitThread } from './sqlite-commit-thread.js';
import {
  AppendSignal,
  readAndWait,
  toRecordedEvent,
  type PendingAppend,
  type StoredEventRow,
} from './stored-events.js';

export interface SqliteEventStoreOptions {
  /**
   * FULL (default) fsyncs the WAL on every commit: an acknowledged append survives a power cut, not just
   * a process crash. NORMAL survives `kill -9` but may lose the last commits on power loss.
   */
  synchronous?: 'FULL' | 'NORMAL';
  /** How often a subscriber looks for events appended by other processes sharing the file. */
  pollIntervalMs?: number;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS events (
    position    INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id    TEXT    NOT NULL UNIQUE,
    stream      TEXT    NOT NULL,
    revision    INTEGER NOT NULL,
    type        TEXT    NOT NULL,
    data        TEXT    NOT NULL,
    metadata    TEXT    NOT NULL,
    recorded_at TEXT    NOT NULL,
    UNIQUE (stream, revision)
  );
  -- A stream's events of some types (as_of, history) without stepping over the others.
  CREATE INDEX IF NOT EXISTS events_by_stream_type ON events (stream, type, revision);
`;

/**
 * The embedded event store: one SQLite file in WAL mode (its rules of appending are in append-decision.ts,
 * the row shape and the subscription loop it shares with PostgreSQL in stored-events.ts). Several processes
 * may share it (the server and the CLI); appends take the write lock up front (BEGIN IMMEDIATE), so a stream's
 * revision is checked and advanced by one writer at a time, and AUTOINCREMENT positions follow commit order.
 * Appends are committed on a thread of their own (sqlite-commit-thread.ts); reads stay on this connection.
 */
export class SqliteEventStore implements EventStore {
  private readonly db: SqliteDatabase;
  private readonly appended = new AppendSignal();
  private readonly commitThread: SqliteCommitThread;
  private readonly commits = new GroupCommit<PendingAppend, AppendOutcome>((group) => this.commitAppends(group));
  private readonly pollIntervalMs: number;
  private closed = false;

  private readonly eventsAfter: SqliteStatement;
  private readonly lastPosition: SqliteStatement;

  constructor(path: string, options: SqliteEventStoreOptions = {}) {
    // The commit thread opens the file on a connection of its own: an in-memory database would be another one.
    if (path === ':memory:') throw new Error('The SQLite event store needs a file, not :memory:');
    const synchronous = options.synchronous ?? 'FULL';
    this.db = openSqlite(path, { synchronous });
    this.db.exec(SCHEMA);
    this.commitThread = new SqliteCommitThread({ path, synchronous });
    this.pollIntervalMs = options.pollIntervalMs ?? 100;
    this.eventsAfter = this.db.prepare('SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?');
    this.lastPosition = this.db.prepare('SELECT MAX(position) AS position FROM events');
  }

  async append(
    stream: string,
    events: readonly NewEvent[],
    { expectedRevision }: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> {
    return (await this.commits.submit({ stream, events, expectedRevision })).result;
  }

  /** Appends that arrive while a commit is in flight go together in the next one, on the commit thread. */
  private async commitAppends(group: readonly PendingAppend[]): Promise<(AppendOutcome | Error)[]> {
    const outcomes = await this.commitThread.commit(group);
    const written = group.reduce(
      (sum, append, i) =>
        sum + (!(outcomes[i] instanceof Error) && (outcomes[i] as AppendOutcome).appended ? append.events.length : 0),
      0,
    );
    if (written > 0) {
      metrics.eventsPerCommit.observe(written);
      this.appended.notify();
    }
    return outcomes;
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    const from = options.fromRevision ?? (backwards ? Number.MAX_SAFE_INTEGER : 0);
    const [streamAndTypes, streamParams] = streamAndTypesCondition(stream, options.types);
    // Unary + keeps SQLite from choosing the (stream, revision) index over the type ranges' (see below).
    const revision = options.types && 'except' in options.types ? '+revision' : 'revision';
    const where = [streamAndTypes, `${revision} ${backwards ? '<=' : '>='} ?`];
    const params: SqliteValue[] = [...streamParams, from];
    if (options.recordedUpTo !== undefined) {
      where.push('recorded_at <= ?');
      params.push(options.recordedUpTo);
    }
    const order = backwards ? 'DESC' : 'ASC';
    const sql = `SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY revision ${order} LIMIT ?`;
    // Prepared once: the SQL varies only with the options the code passes, never with a caller's input.
    const rows = prepared(this.db, sql).all(...params, options.maxCount ?? -1) as unknown as StoredEventRow[];
    return rows.map(toRecordedEvent);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    return this.readAllSync(options.afterPosition ?? 0, options.maxCount ?? -1);
  }

  private readAllSync(afterPosition: number, maxCount: number): RecordedEvent[] {
    return (this.eventsAfter.all(afterPosition, maxCount) as unknown as StoredEventRow[]).map(toRecordedEvent);
  }

  subscribeToAll(options: SubscribeToAllOptions): AsyncIterable<RecordedEvent[]> {
    return readAndWait(async (after, max) => this.readAllSync(after, max), this.appended, options, {
      pollMs: this.pollIntervalMs,
      closed: () => this.closed,
    });
  }

  async headPosition(): Promise<number> {
    const row = this.lastPosition.get() as { position: number | null };
    return row.position ?? 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.commits.flush();
    this.closed = true;
    this.appended.notify();
    await this.commitThread.close();
    await sleep(0);
    this.db.close();
  }
}

/**
 * The WHERE term for a stream's events, of the given types if any. Excluded types become the ranges between
 * them, each with its own `stream = ?`, so that SQLite reads each range from the (stream, type) index: a
 * `NOT IN` would step over every event of the stream.
 */
function streamAndTypesCondition(stream: string, types: ReadStreamOptions['types']): [string, SqliteValue[]] {
  if (!types) return ['stream = ?', [stream]];
  if ('only' in types)
    return [`stream = ? AND type IN (${types.only.map(() => '?').join(', ')})`, [stream, ...types.only]];
  const excluded = [...new Set(types.except)].sort();
  if (excluded.length === 0) return ['stream = ?', [stream]];
  const ranges: string[] = ['(stream = ? AND type < ?)'];
  const params: SqliteValue[] = [stream, excluded[0] as string];
  for (let i = 1; i < excluded.length; i++) {
    ranges.push('(stream = ? AND type > ? AND type < ?)');
    params.push(stream, excluded[i - 1] as string, excluded[i] as string);
  }
  ranges.push('(stream = ? AND type > ?)');
  params.push(stream, excluded[excluded.length - 1] as string);
  return [`(${ranges.join(' OR ')})`, params];
}
