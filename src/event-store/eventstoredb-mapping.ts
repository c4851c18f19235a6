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

/** Error types of the client (`error.type`, its ErrorType), compared as strings: `instanceof` breaks across realms. */
const UNAVAILABLE = new Set(['unavailable', 'deadline-exceeded', 'timeout', 'cancelled', 'not-leader']);

/** Refusals that no retry by the caller will change: an operator must act. Each says what to look at. */
const REFUSED: Record<string, string> = {
  'access-denied': 'EventStoreDB refused access: check the credentials in EVENTSTORE_CONNECTION_STRING',
  'stream-deleted': 'the stream was deleted in EventStoreDB (outside this service)',
  'maximum-append-size-exceeded': "the append is larger than EventStoreDB's maximum append size",
};

/** gRPC's UNAVAILABLE and DEADLINE_EXCEEDED status codes, and Node's own connection errors. */
const GRPC_UNAVAILABLE = new Set([14, 4]);
const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE']);

export function toPortError(error: unknown, stream: string, expected?: ExpectedRevision, eventId?: string): unknown {
  const { type, actualVersion, message, code } = (error ?? {}) as {
    type?: string;
    actualVersion?: bigint | string;
    message?: string;
    code?: unknown;
  };
  if (type === 'wrong-expected-version' && expected !== undefined) {
    const actual = typeof actualVersion === 'bigint' ? Number(actualVersion) : 'no_stream';
    return new WrongExpectedRevisionError(stream, expected, actual);
  }
  if (type === 'invalid-argument' && eventId && /duplicate|already/i.test(message ?? ''))
    return new DuplicateEventIdError(eventId);
  if (type && REFUSED[type]) {
    return new EventStoreUnavailableError(`${REFUSED[type]} (${stream})`, { cause: error });
  }
  const connectionFailure =
    (typeof code === 'number' && GRPC_UNAVAILABLE.has(code)) ||
    (typeof code === 'string' && CONNECTION_ERRORS.has(code));
  if ((type && UNAVAILABLE.has(type)) || connectionFailure) {
    return new EventStoreUnavailableError(`EventStoreDB is unavailable: ${message ?? String(error)}`, { cause: error });
  }
  return error;
}

/**
 * Every call gets a deadline of our own: the client can wait a minute on a port that accepts but never
 * answers. `cancel` stops the work left behind (a streaming read), so a timed-out read does not run on.
 */
export async function withDeadline<T>(what: string, ms: number, work: Promise<T>, cancel?: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      cancel?.();
      reject(new EventStoreUnavailableError(`EventStoreDB did not answer ${what} within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
