import {
  DuplicateEventIdError,
  EventStoreUnavailableError,
  WrongExpectedRevisionError,
  type EventMetadata,
  type ExpectedRevision,
  type RecordedEvent,
} from './event-store.js';

/**
 * The pure half of the EventStoreDB adapter: how the port's revisions, positions, events and errors map to
 * and from the client's. Unit-tested without a server (test/unit/eventstoredb-mapping.test.ts).
 *
 * Positions: outside explicit transactions (never used here) an event's commit position equals its
 * prepare position and is unique and increasing in `$all`, so the commit position is the port's position.
 */
export type ClientExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | bigint;

export function toClientExpectedRevision(expected: ExpectedRevision): ClientExpectedRevision {
  return typeof expected === 'number' ? BigInt(expected) : expected;
}

/** A position to read `$all` from; the read is inclusive, so the caller drops the event at `afterPosition`. */
export function toClientPosition(afterPosition: number): 'start' | { commit: bigint; prepare: bigint } {
  return afterPosition <= 0 ? 'start' : { commit: BigInt(afterPosition), prepare: BigInt(afterPosition) };
}

/**
 * EventStoreDB sets an event's creation time itself; an event copied in from another store keeps its
 * original time in this metadata key, which is taken out again on read.
 */
export const RECORDED_AT_KEY = '$recorded_at';

export interface ClientRecordedEvent {
  id: string;
  type: string;
  streamId: string;
  revision: bigint;
  data: unknown;
  metadata?: unknown;
  created: Date;
  position?: { commit: bigint; prepare: bigint };
}

export function fromClientEvent(event: ClientRecordedEvent): RecordedEvent {
  if (!event.position) throw new Error(`Event ${event.id} has no $all position`);
  const { [RECORDED_AT_KEY]: recordedAt, ...metadata } = (event.metadata ?? {}) as EventMetadata & {
    [RECORDED_AT_KEY]?: string;
  };
  return {
    id: event.id,
    type: event.type,
    stream: event.streamId,
    revision: Number(event.revision),
    position: Number(event.position.commit),
    data: event.data,
    metadata: metadata as EventMetadata,
    recordedAt: recordedAt ?? event.created.toISOString(),
  };
}

/** Error types of the client (`error.type`), compared as strings: `instanceof` breaks across realms. */
const UNAVAILABLE = new Set(['unavailable', 'deadline-exceeded', 'timeout', 'cancelled', 'not-leader']);

export function toPortError(error: unknown, stream: string, expected?: ExpectedRevision, eventId?: string): unknown {
  const { type, actualVersion, message } = (error ?? {}) as {
    type?: string;
    actualVersion?: bigint | string;
    message?: string;
  };
  if (type === 'wrong-expected-version' && expected !== undefined) {
    const actual = typeof actualVersion === 'bigint' ? Number(actualVersion) : 'no_stream';
    return new WrongExpectedRevisionError(stream, expected, actual);
  }
  if (type === 'invalid-argument' && eventId && /duplicate|already/i.test(message ?? ''))
    return new DuplicateEventIdError(eventId);
  if ((type && UNAVAILABLE.has(type)) || isConnectionFailure(error)) {
    return new EventStoreUnavailableError(`EventStoreDB is unavailable: ${message ?? String(error)}`, { cause: error });
  }
  return error;
}

function isConnectionFailure(error: unknown): boolean {
  const text = String((error as { message?: string })?.message ?? error);
  return /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ETIMEDOUT|failed to connect|No connection established|14 UNAVAILABLE/i.test(
    text,
  );
}

/** Every call gets a deadline of our own: the client can wait a minute on a port that accepts but never answers. */
export async function withDeadline<T>(what: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new EventStoreUnavailableError(`EventStoreDB did not answer ${what} within ${ms} ms`)),
      ms,
    );
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
