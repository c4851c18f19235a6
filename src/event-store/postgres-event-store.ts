import pg from 'pg';
import { metrics } from '../common/metrics.js';
import { decideAppend, type StoredEventRef } from './append-decision.js';
import {
  DuplicateEventIdError,
  EventStoreUnavailableError,
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
import { GroupCommit } from './group-commit.js';
import {
  AppendSignal,
  readAndWait,
  toRecordedEvent,
  type PendingAppend,
  type StoredEventRow,
} from './stored-events.js';

export interface PostgresEventStoreOptions {
  /** Every call (a connection, a query) fails with EventStoreUnavailableError after this long. */
  deadlineMs?: number;
  /** Connections in the pool: appends use one at a time, reads and subscriptions the rest. */
  maxConnections?: number;
  /** How often a subscriber reads anyway, should a notification be lost (a reconnect of the listener). */
  pollIntervalMs?: number;
}

const NOTIFY_CHANNEL = 'cms_events_appended';
/** Serialises the schema's creation among instances starting together (CREATE … IF NOT EXISTS can race). */
const SCHEMA_LOCK = 7_424_001;

/**
 * Data and metadata are stored as the JSON text they were appended as (not jsonb): jsonb would reorder keys
 * and the log keeps each event exactly as written.
 */
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS cms_events (
    position    BIGINT  PRIMARY KEY,
    event_id    TEXT    NOT NULL UNIQUE,
    stream      TEXT    NOT NULL,
    revision    INTEGER NOT NULL,
    type        TEXT    NOT NULL,
    data        TEXT    NOT NULL,
    metadata    TEXT    NOT NULL,
    recorded_at TEXT    NOT NULL,
    UNIQUE (stream, revision)
  );
  CREATE INDEX IF NOT EXISTS cms_events_by_stream_type ON cms_events (stream, type, revision);
  CREATE TABLE IF NOT EXISTS cms_log_head (
    only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
    position BIGINT  NOT NULL
  );
  INSERT INTO cms_log_head (only_row, position) VALUES (TRUE, 0) ON CONFLICT DO NOTHING;
`;

/**
 * The event log in PostgreSQL (EVENT_STORE=postgres), for several service instances on one database.
 *
 * Global order is a single-writer sequence: every append transaction first locks the one row of
 * `cms_log_head`, takes the next positions from it and writes it back. Writers across all processes take
 * turns, so positions are assigned in commit order with no gaps, and a reader that has seen position N has
 * seen everything before it. (A sequence or identity column would not do that: it hands out numbers at
 * insert, and transactions commit in another order, so a reader can see 12 before 11 and skip 11 for good.)
 * The turn-taking costs little because each turn carries a whole group of appends: every append that
 * arrives while one commit is in flight goes into the next (GroupCommit), in one transaction.
 */
export class PostgresEventStore implements EventStore {
  private readonly pool: pg.Pool;
  private readonly commits = new GroupCommit<PendingAppend, AppendResult>((group) => this.commitAppends(group));
  private readonly appended = new AppendSignal();
  private readonly deadlineMs: number;
  private readonly pollIntervalMs: number;
  private schemaReady: Promise<void> | undefined;
  private listener: Promise<pg.Client> | undefined;
  private closed = false;

  constructor(
    private readonly connectionString: string,
    options: PostgresEventStoreOptions = {},
  ) {
    this.deadlineMs = options.deadlineMs ?? 5000;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.pool = new pg.Pool({
      ...this.clientConfig(),
      max: options.maxConnections ?? 10,
      idleTimeoutMillis: 30_000,
    });
    // An idle connection that dies (the server restarted) is replaced on next use; the error is not fatal.
    this.pool.on('error', () => undefined);
  }

  async append(
    stream: string,
    events: readonly NewEvent[],
    { expectedRevision }: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> {
    await this.ready();
    return this.commits.submit({ stream, events, expectedRevision });
  }

  /**
   * One transaction for the group, in four round trips whatever its size: begin and lock the head; read the
   * heads of its streams and the event ids it names; (decide each append in order, as if applied one by
   * one;) insert every accepted event, move the head and notify; commit. A refused append is left out;
   * nothing else is.
   */
  private async commitAppends(group: readonly PendingAppend[]): Promise<(AppendResult | Error)[]> {
    return this.withClient(async (client) => {
      // BEGIN and the lock in one round trip (the simple protocol runs both): every lookup after it sees
      // what the previous writer committed.
      const [, locked] = (await client.query('BEGIN; SELECT position FROM cms_log_head FOR UPDATE')) as unknown as [
        unknown,
        pg.QueryResult<{ position: string }>,
      ];
      try {
        const head = Number(locked.rows[0].position);
        const heads = new Map<string, number>();
        const byId = new Map<string, StoredEventRef>();
        const found = await client.query<{
          event_id: string | null;
          stream: string;
          revision: number;
          position: string;
        }>(
          `SELECT NULL AS event_id, stream, MAX(revision) AS revision, NULL AS position
             FROM cms_events WHERE stream = ANY($1) GROUP BY stream
           UNION ALL
           SELECT event_id, stream, revision, position FROM cms_events WHERE event_id = ANY($2)`,
          [
            [...new Set(group.map((append) => append.stream))],
            group.flatMap((append) => append.events.map((event) => event.id)),
          ],
        );
        for (const row of found.rows) {
          if (row.event_id === null) heads.set(row.stream, row.revision);
          else byId.set(row.event_id, { stream: row.stream, revision: row.revision, position: Number(row.position) });
        }

        const recordedAt = new Date().toISOString();
        const rows: unknown[][] = [[], [], [], [], [], [], [], []];
        let position = head;
        const outcomes = group.map(({ stream, events, expectedRevision }): AppendResult | Error => {
          try {
            const decision = decideAppend(stream, events, expectedRevision, {
              head: (name) => heads.get(name) ?? null,
              byId: (id) => byId.get(id),
            });
            if (decision.kind !== 'append') return decision.result;
            let revision = decision.firstRevision - 1;
            for (const event of events) {
              revision += 1;
              position += 1;
              const values = [
                position,
                event.id,
                stream,
                revision,
                event.type,
                JSON.stringify(event.data),
                JSON.stringify(event.metadata),
                event.recordedAt ?? recordedAt,
              ];
              values.forEach((value, column) => rows[column].push(value));
              byId.set(event.id, { stream, revision, position });
            }
            heads.set(stream, revision);
            return { nextExpectedRevision: revision, position };
          } catch (error) {
            if (error instanceof WrongExpectedRevisionError || error instanceof DuplicateEventIdError) return error;
            throw error;
          }
        });
        if (position > head) {
          // The events, the new head and the notification (sent at commit) in one statement.
          await client.query(
            `WITH inserted AS (
               INSERT INTO cms_events (position, event_id, stream, revision, type, data, metadata, recorded_at)
               SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[],
                                    $7::text[], $8::text[])
             ), moved AS (UPDATE cms_log_head SET position = $9 RETURNING position)
             SELECT pg_notify($10, position::text) FROM moved`,
            [...rows, position, NOTIFY_CHANNEL],
          );
        }
        await client.query('COMMIT');
        if (position > head) {
          metrics.eventsPerCommit.observe(position - head);
          this.appended.notify();
        }
        return outcomes;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    const params: unknown[] = [stream, options.fromRevision ?? (backwards ? 2 ** 31 - 1 : 0)];
    const where = ['stream = $1', `revision ${backwards ? '<=' : '>='} $2`];
    if (options.types && 'only' in options.types) {
      params.push(options.types.only);
      where.push(`type = ANY($${params.length})`);
    } else if (options.types && 'except' in options.types) {
      params.push(options.types.except);
      where.push(`type <> ALL($${params.length})`);
    }
    if (options.recordedUpTo !== undefined) {
      params.push(options.recordedUpTo);
      where.push(`recorded_at <= $${params.length}`);
    }
    params.push(options.maxCount ?? null);
    const sql = `SELECT * FROM cms_events WHERE ${where.join(' AND ')}
                 ORDER BY revision ${backwards ? 'DESC' : 'ASC'} LIMIT $${params.length}`;
    return (await this.query<StoredEventRow>(sql, params)).map(toRecordedEvent);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const rows = await this.query<StoredEventRow>(
      'SELECT * FROM cms_events WHERE position > $1 ORDER BY position LIMIT $2',
      [options.afterPosition ?? 0, options.maxCount ?? null],
    );
    return rows.map(toRecordedEvent);
  }

  subscribeToAll(options: SubscribeToAllOptions): AsyncIterable<RecordedEvent[]> {
    return readAndWait(
      (afterPosition, maxCount) => {
        void this.listen().catch(() => undefined); // without a listener the poll interval still wakes it
        return this.readAll({ afterPosition, maxCount });
      },
      this.appended,
      options,
      { pollMs: this.pollIntervalMs, closed: () => this.closed },
    );
  }

  async headPosition(): Promise<number> {
    const [row] = await this.query<{ position: string }>('SELECT position FROM cms_log_head', []);
    return Number(row.position);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.commits.flush();
    this.closed = true;
    this.appended.notify();
    const listener = await this.listener?.catch(() => undefined);
    await listener?.end().catch(() => undefined);
    await this.pool.end();
  }

  /** One LISTEN connection per store, reopened on the next wait after it fails. */
  private listen(): Promise<pg.Client> {
    this.listener ??= (async () => {
      const client = new pg.Client(this.clientConfig());
      const forget = () => {
        this.listener = undefined;
        void client.end().catch(() => undefined);
      };
      client.on('error', forget);
      client.on('end', () => (this.listener = undefined));
      client.on('notification', () => this.appended.notify());
      try {
        await client.connect();
        await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
      } catch (error) {
        forget();
        throw error;
      }
      return client;
    })();
    return this.listener;
  }

  private async query<Row extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<Row[]> {
    await this.ready();
    return this.withClient(async (client) => (await client.query<Row>(sql, params)).rows);
  }

  /** A pooled connection for `fn`; one that failed is discarded, not reused. Errors leave as the port's. */
  private async withClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    if (this.closed) throw new EventStoreUnavailableError('The PostgreSQL event store is closed');
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw toPortError(error);
    }
    try {
      const result = await fn(client);
      client.release();
      return result;
    } catch (error) {
      client.release(isConnectionLevel(error) ? (error as Error) : undefined);
      throw toPortError(error);
    }
  }

  /** Creates the tables once per store object; a failure (the server is down) is retried on the next call. */
  private ready(): Promise<void> {
    this.schemaReady ??= this.withClient(async (client) => {
      await client.query('SELECT pg_advisory_lock($1)', [SCHEMA_LOCK]);
      try {
        await client.query(SCHEMA);
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [SCHEMA_LOCK]);
      }
    }).catch((error: unknown) => {
      this.schemaReady = undefined;
      throw error;
    });
    return this.schemaReady;
  }

  private clientConfig(): pg.ClientConfig {
    return {
      connectionString: this.connectionString,
      connectionTimeoutMillis: this.deadlineMs,
      // The server cancels a statement past the deadline; the client gives up a little later should the
      // server not answer at all (a dead peer).
      statement_timeout: this.deadlineMs,
      query_timeout: this.deadlineMs + 1000,
      keepAlive: true,
      application_name: 'custom-metadata-service',
    };
  }
}

/** SQLSTATE classes and socket errors that mean "the store is not reachable now", not "this call is wrong". */
function isConnectionLevel(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (/^(08|53|57)/.test(code)) return true; // connection exception, insufficient resources, operator intervention
    if (/^E[A-Z]+$/.test(code)) return true; // ECONNREFUSED, ECONNRESET, ETIMEDOUT, ENOTFOUND, …
  }
  const message = error instanceof Error ? error.message : '';
  return /timeout|Connection terminated|not queryable|Client was closed/i.test(message);
}

function toPortError(error: unknown): unknown {
  if (error instanceof EventStoreUnavailableError) return error;
  if (isConnectionLevel(error)) {
    return new EventStoreUnavailableError(`PostgreSQL event store: ${(error as Error).message}`, { cause: error });
  }
  return error;
}
