import { setTimeout as sleep } from 'node:timers/promises';
import {
  immediateTransaction,
  isUniqueViolation,
  openSqlite,
  type SqliteDatabase,
  type SqliteStatement,
  type SqliteValue,
} from '../common/sqlite.js';
import {
  DuplicateEventIdError,
  WrongExpectedRevisionError,
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
import { decideAppend } from './append-decision.js';
import { GroupCommit } from './group-commit.js';
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

interface AppendOutcome {
  appended: boolean;
  result: AppendResult;
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
 * may share it (the server and the CLI); appends take the write lock up front (BEGIN IMMEDIATE), so a stream's revision is checked and
 * advanced by one writer at a time, and AUTOINCREMENT positions follow commit order.
 */
export class SqliteEventStore implements EventStore {
  private readonly db: SqliteDatabase;
  private readonly appended = new AppendSignal();
  private readonly commits = new GroupCommit<PendingAppend, AppendOutcome>((group) => this.commitAppends(group));
  private readonly pollIntervalMs: number;
  private closed = false;

  private readonly insertEvent: SqliteStatement;
  private readonly streamHead: SqliteStatement;
  private readonly eventById: SqliteStatement;
  private readonly eventsAfter: SqliteStatement;
  private readonly lastPosition: SqliteStatement;

  constructor(path: string, options: SqliteEventStoreOptions = {}) {
    this.db = openSqlite(path, { synchronous: options.synchronous ?? 'FULL' });
    this.db.exec(SCHEMA);
    this.pollIntervalMs = options.pollIntervalMs ?? 100;
    this.insertEvent = this.db.prepare(
      `INSERT INTO events (event_id, stream, revision, type, data, metadata, recorded_at)
       VALUES (@event_id, @stream, @revision, @type, @data, @metadata, @recorded_at)`,
    );
    this.streamHead = this.db.prepare('SELECT MAX(revision) AS revision FROM events WHERE stream = ?');
    this.eventById = this.db.prepare('SELECT stream, revision, position FROM events WHERE event_id = ?');
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

  /**
   * Appends that arrive together share one transaction (one fsync); each runs in a savepoint of its own, so a
   * conflict refuses that append alone. Any other failure refuses the whole group, and nothing of it is kept.
   */
  private commitAppends(group: readonly PendingAppend[]): (AppendOutcome | Error)[] {
    const outcomes = immediateTransaction(this.db, () =>
      group.map(({ stream, events, expectedRevision }) => {
        this.db.exec('SAVEPOINT one_append');
        try {
          const outcome = this.appendUnderWriteLock(stream, events, expectedRevision);
          this.db.exec('RELEASE one_append');
          return outcome;
        } catch (error) {
          if (!(error instanceof WrongExpectedRevisionError || error instanceof DuplicateEventIdError)) throw error;
          this.db.exec('ROLLBACK TO one_append; RELEASE one_append');
          return error;
        }
      }),
    );
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

  private appendUnderWriteLock(
    stream: string,
    events: readonly NewEvent[],
    expected: ExpectedRevision,
  ): { appended: boolean; result: AppendResult } {
    const decision = decideAppend(stream, events, expected, {
      head: (name) => (this.streamHead.get(name) as { revision: number | null }).revision,
      byId: (id) => this.eventById.get(id) as { stream: string; revision: number; position: number } | undefined,
    });
    if (decision.kind !== 'append') return { appended: false, result: decision.result };
    const recordedAt = new Date().toISOString();
    let revision = decision.firstRevision - 1;
    let position = 0;
    for (const event of events) {
      revision += 1;
      try {
        position = Number(
          this.insertEvent.run({
            event_id: event.id,
            stream,
            revision,
            type: event.type,
            data: JSON.stringify(event.data),
            metadata: JSON.stringify(event.metadata),
            recorded_at: event.recordedAt ?? recordedAt,
          }).lastInsertRowid,
        );
      } catch (error) {
        if (isUniqueViolation(error, 'events.event_id')) throw new DuplicateEventIdError(event.id);
        throw error;
      }
    }
    return { appended: true, result: { nextExpectedRevision: revision, position } };
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
    this.commits.flush();
    this.closed = true;
    this.appended.notify();
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
