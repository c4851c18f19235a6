import type { Actor } from '../common/actor.js';

/**
 * The event-store port. Semantics follow EventStoreDB so that the SQLite adapter and the EventStoreDB
 * adapter are interchangeable; test/event-store/event-store-contract.ts holds them both to it.
 *
 * Positions are global (1, 2, 3, … in the SQLite adapter; opaque but ordered elsewhere); "after position
 * P" reads start just past P, and 0 means "from the beginning". Revisions count from 0 within a stream.
 */
export type ExpectedRevision = 'no_stream' | 'stream_exists' | 'any' | number;

export interface EventMetadata {
  /**
   * Shape version of `data` (absent means 1); upcasters turn older shapes into the current one on read. The
   * UpcastingEventStore stamps it on every append: the one place that knows each type's current version.
   */
  schema_version?: number;
  correlation_id?: string;
  causation_id?: string;
  actor?: Actor;
  [key: string]: unknown;
}

export interface NewEvent {
  id: string;
  type: string;
  data: unknown;
  metadata: EventMetadata;
  /** Only when copying a log between stores: the time the event was first recorded, kept as it was. */
  recordedAt?: string;
}

export interface RecordedEvent {
  id: string;
  type: string;
  stream: string;
  revision: number;
  position: number;
  data: unknown;
  metadata: EventMetadata;
  recordedAt: string;
}

export interface AppendResult {
  /** Revision of the last event now in the stream: pass it as the next append's expected revision. */
  nextExpectedRevision: number;
  /** Global position of the last event appended. */
  position: number;
}

export interface ReadStreamOptions {
  direction?: 'forwards' | 'backwards';
  /** Inclusive. Forwards defaults to 0, backwards to the end. */
  fromRevision?: number;
  /** Counted after `types` and `recordedUpTo` have filtered. */
  maxCount?: number;
  /** Only events of these types, or all but these. */
  types?: { only: readonly string[] } | { except: readonly string[] };
  /** Only events recorded at or before this ISO 8601 time. */
  recordedUpTo?: string;
}

/** `types` and `recordedUpTo`, for an adapter whose engine cannot filter a stream read by them. */
export function matchesStreamFilter(event: RecordedEvent, options: ReadStreamOptions): boolean {
  if (options.recordedUpTo !== undefined && event.recordedAt > options.recordedUpTo) return false;
  if (options.types && 'only' in options.types) return options.types.only.includes(event.type);
  if (options.types && 'except' in options.types) return !options.types.except.includes(event.type);
  return true;
}

export interface ReadAllOptions {
  afterPosition?: number;
  maxCount?: number;
}

export interface SubscribeToAllOptions {
  afterPosition: number;
  /** Most events handed over at once. */
  maxBatchSize?: number;
  signal?: AbortSignal;
}

export interface EventStore {
  /** Appends atomically: all the events or none. */
  append(
    stream: string,
    events: readonly NewEvent[],
    options: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult>;
  /** A missing stream reads as []. */
  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /**
   * Batches of events after `afterPosition`, in order, then live ones as they are appended (by this
   * process or any other). Ends when `signal` aborts; throws when the store fails, so the consumer can
   * resubscribe from its checkpoint.
   */
  subscribeToAll(options: SubscribeToAllOptions): AsyncIterable<RecordedEvent[]>;
  /** Position of the last event in the log, 0 when empty. */
  headPosition(): Promise<number>;
  close(): Promise<void>;
}

/** The stream was not at the expected revision: someone else appended first. */
export class WrongExpectedRevisionError extends Error {
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    /** Revision of the stream's last event; 'no_stream' when it has none. */
    readonly actual: number | 'no_stream',
  ) {
    super(`Stream ${stream} is at revision ${actual}, expected ${expected}`);
    this.name = 'WrongExpectedRevisionError';
  }
}

/** An event id already stands in the log for something other than this very append. */
export class DuplicateEventIdError extends Error {
  constructor(readonly eventId: string) {
    super(`Event id ${eventId} is already used by another append`);
    this.name = 'DuplicateEventIdError';
  }
}

/**
 * The store cannot be reached or did not answer in time. An append that fails so may still have landed:
 * retrying it with the same event ids is safe, because appends are idempotent by event id.
 */
export class EventStoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EventStoreUnavailableError';
  }
}
