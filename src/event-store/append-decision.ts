import {
  DuplicateEventIdError,
  WrongExpectedRevisionError,
  type AppendResult,
  type ExpectedRevision,
  type NewEvent,
} from './event-store.js';

/**
 * What an append does, decided the same way by every adapter that checks it itself (SQLite, PostgreSQL),
 * under that adapter's write lock: EventStoreDB's rules for expected revisions and for idempotence.
 */
export type AppendDecision =
  /** The same event ids appended again with an expectation that held the first time: the first result. */
  | { kind: 'repeat'; result: AppendResult }
  /** No events: the expectation held, nothing to write. */
  | { kind: 'nothing'; result: AppendResult }
  /** Write the events at revisions `firstRevision`, `firstRevision + 1`, … */
  | { kind: 'append'; firstRevision: number };

/** Where an event id already stands in the log. */
export interface StoredEventRef {
  stream: string;
  revision: number;
  position: number;
}

export interface AppendLookups {
  /** Revision of the stream's last event, null when it has none. */
  head(stream: string): number | null;
  byId(eventId: string): StoredEventRef | undefined;
}

/** Throws WrongExpectedRevisionError or DuplicateEventIdError when the append is refused. */
export function decideAppend(
  stream: string,
  events: readonly NewEvent[],
  expected: ExpectedRevision,
  lookups: AppendLookups,
): AppendDecision {
  const ids = events.map((event) => event.id);
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice !== undefined) throw new DuplicateEventIdError(twice);
  const stored = ids.map((id) => lookups.byId(id));
  const first = stored[0];
  if (first) {
    const sameAppend = stored.every(
      (ref, i) => ref !== undefined && ref.stream === stream && ref.revision === first.revision + i,
    );
    if (!sameAppend) throw new DuplicateEventIdError(events[0].id);
    const revisionBefore = first.revision === 0 ? null : first.revision - 1;
    if (!revisionMatches(expected, revisionBefore)) {
      throw new WrongExpectedRevisionError(stream, expected, lookups.head(stream) ?? 'no_stream');
    }
    const last = stored[stored.length - 1] as StoredEventRef;
    return { kind: 'repeat', result: { nextExpectedRevision: last.revision, position: last.position } };
  }
  const taken = stored.findIndex((ref) => ref !== undefined);
  if (taken >= 0) throw new DuplicateEventIdError(events[taken].id);
  const head = lookups.head(stream);
  if (!revisionMatches(expected, head)) throw new WrongExpectedRevisionError(stream, expected, head ?? 'no_stream');
  if (events.length === 0) return { kind: 'nothing', result: { nextExpectedRevision: head ?? -1, position: 0 } };
  return { kind: 'append', firstRevision: (head ?? -1) + 1 };
}

function revisionMatches(expected: ExpectedRevision, head: number | null): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return head === null;
    case 'stream_exists':
      return head !== null;
    default:
      return head === expected;
  }
}
