import {
  immediateTransaction,
  isUniqueViolation,
  type SqliteDatabase,
  type SqliteStatement,
} from '../common/sqlite.js';
import { decideAppend } from './append-decision.js';
import {
  DuplicateEventIdError,
  WrongExpectedRevisionError,
  type AppendResult,
  type ExpectedRevision,
  type NewEvent,
} from './event-store.js';
import type { PendingAppend } from './stored-events.js';

export interface AppendOutcome {
  appended: boolean;
  result: AppendResult;
}

/**
 * The SQLite log's append transaction. It runs on the commit thread (sqlite-commit-thread.ts), on a
 * connection of its own, so the fsync of each commit never holds the event loop.
 */
export class SqliteAppends {
  private readonly insertEvent: SqliteStatement;
  private readonly streamHead: SqliteStatement;
  private readonly eventById: SqliteStatement;

  constructor(private readonly db: SqliteDatabase) {
    this.insertEvent = db.prepare(
      `INSERT INTO events (event_id, stream, revision, type, data, metadata, recorded_at)
       VALUES (@event_id, @stream, @revision, @type, @data, @metadata, @recorded_at)`,
    );
    this.streamHead = db.prepare('SELECT MAX(revision) AS revision FROM events WHERE stream = ?');
    this.eventById = db.prepare('SELECT stream, revision, position FROM events WHERE event_id = ?');
  }

  /**
   * Appends that arrive together share one transaction (one fsync); each runs in a savepoint of its own, so a
   * conflict refuses that append alone. Any other failure refuses the whole group, and nothing of it is kept.
   */
  commit(group: readonly PendingAppend[]): (AppendOutcome | Error)[] {
    return immediateTransaction(this.db, () =>
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
  }

  private appendUnderWriteLock(stream: string, events: readonly NewEvent[], expected: ExpectedRevision): AppendOutcome {
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
}

/**
 * A commit's answer as it crosses between threads. Structured cloning keeps an Error's message but not its
 * class or its SQLite codes, and the callers tell a conflict, a duplicate and a full disk apart by those.
 */
export type WireOutcome =
  | { ok: AppendOutcome }
  | { wrongExpectedRevision: { stream: string; expected: ExpectedRevision; actual: number | 'no_stream' } }
  | { duplicateEventId: string };

export type WireFailure = { message: string; errcode?: unknown; code?: unknown };

export function toWire(outcome: AppendOutcome | Error): WireOutcome {
  if (outcome instanceof WrongExpectedRevisionError) {
    const { stream, expected, actual } = outcome;
    return { wrongExpectedRevision: { stream, expected, actual } };
  }
  if (outcome instanceof DuplicateEventIdError) return { duplicateEventId: outcome.eventId };
  if (outcome instanceof Error) throw outcome; // commit() returns no other error: it throws them
  return { ok: outcome };
}

export function fromWire(outcome: WireOutcome): AppendOutcome | Error {
  if ('ok' in outcome) return outcome.ok;
  if ('duplicateEventId' in outcome) return new DuplicateEventIdError(outcome.duplicateEventId);
  const { stream, expected, actual } = outcome.wrongExpectedRevision;
  return new WrongExpectedRevisionError(stream, expected, actual);
}

export function failureToWire(error: unknown): WireFailure {
  const { message, errcode, code } = (error ?? {}) as { message?: unknown; errcode?: unknown; code?: unknown };
  return { message: typeof message === 'string' ? message : String(error), errcode, code };
}

export function failureFromWire({ message, errcode, code }: WireFailure): Error {
  return Object.assign(
    new Error(message),
    errcode === undefined ? {} : { errcode },
    code === undefined ? {} : { code },
  );
}
