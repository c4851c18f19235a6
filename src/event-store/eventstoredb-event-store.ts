import { hideUrlPassword } from '../common/logging.js';
import { metrics } from '../common/metrics.js';
import { setImmediate } from 'node:timers/promises';
import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  jsonEvent,
  START,
  streamNameFilter,
} from '@eventstore/db-client';
import {
  matchesStreamFilter,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeToAllOptions,
} from './event-store.js';
import {
  fromClientEvent,
  RECORDED_AT_KEY,
  toClientExpectedRevision,
  toClientPosition,
  toPortError,
  withDeadline,
  type ClientRecordedEvent,
} from './eventstoredb-mapping.js';
import { isServiceStream, SERVICE_STREAM_PREFIXES } from './streams.js';

/** What the adapter uses of the client: the real one, or a scripted one in tests. */
export type EventStoreDbClientApi = Pick<
  EventStoreDBClient,
  'appendToStream' | 'readStream' | 'readAll' | 'subscribeToAll' | 'dispose'
>;

/** How many `$all` events one page reads while looking past events that are not this service's. */
const ALL_PAGE = 500;

type ClientPosition = { commit: bigint; prepare: bigint };
/** One page of `$all`: this service's events in it, how many events it held in all, and where its last is. */
type AllPage = { events: RecordedEvent[]; read: number; last: ClientPosition | undefined };

/**
 * The scale-out event store: an EventStoreDB (KurrentDB) cluster holds the log; each service instance keeps
 * its own read models, fed by a subscription to `$all` (system events filtered out on the server). Every
 * call has a deadline; an unreachable store surfaces as EventStoreUnavailableError (HTTP 503), and the
 * consumers resubscribe from their checkpoints once it returns.
 *
 * One difference from the SQLite adapter: EventStoreDB's idempotence is per stream, so an event id reused
 * in another stream is not refused.
 */
export class EventStoreDbEventStore implements EventStore {
  private readonly client: EventStoreDbClientApi;
  readonly description: string;

  constructor(
    connection: string | EventStoreDbClientApi,
    private readonly deadlineMs = 5000,
  ) {
    this.client = typeof connection === 'string' ? EventStoreDBClient.connectionString(connection) : connection;
    this.description =
      typeof connection === 'string'
        ? `EventStoreDB at ${hideUrlPassword(connection)}`
        : 'EventStoreDB (a given client)';
  }

  async append(
    stream: string,
    events: readonly NewEvent[],
    { expectedRevision }: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> {
    try {
      const result = await withDeadline(
        `an append to ${stream}`,
        this.deadlineMs,
        this.client.appendToStream(
          stream,
          events.map((event) =>
            jsonEvent({
              id: event.id,
              type: event.type,
              data: event.data as Record<string, unknown>,
              metadata: event.recordedAt ? { ...event.metadata, [RECORDED_AT_KEY]: event.recordedAt } : event.metadata,
            }),
          ),
          { expectedRevision: toClientExpectedRevision(expectedRevision), deadline: this.deadlineMs },
        ),
      );
      // No group commit here: each append is its own commit on the server.
      if (events.length > 0) metrics.eventsPerCommit.observe(events.length);
      return {
        nextExpectedRevision: Number(result.nextExpectedRevision),
        position: Number(result.position?.commit ?? 0),
      };
    } catch (error) {
      throw toPortError(error, stream, expectedRevision, events[0]?.id);
    }
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    // EventStoreDB cannot filter a stream read by type or time: those filters read it all, then filter here.
    const filtered = options.types !== undefined || options.recordedUpTo !== undefined;
    const read = this.client.readStream(stream, {
      direction: backwards ? BACKWARDS : FORWARDS,
      fromRevision: options.fromRevision !== undefined ? BigInt(options.fromRevision) : backwards ? END : START,
      ...(options.maxCount !== undefined && !filtered ? { maxCount: BigInt(options.maxCount) } : {}),
      deadline: this.deadlineMs,
    });
    try {
      const events = await withDeadline(
        `a read of ${stream}`,
        this.deadlineMs,
        this.collect(read),
        () => void read.cancel(),
      );
      if (!filtered) return events;
      return events.filter((event) => matchesStreamFilter(event, options)).slice(0, options.maxCount);
    } catch (error) {
      // A stream that does not exist, or that was deleted in EventStoreDB, holds no events.
      const type = (error as { type?: string })?.type;
      if (type === 'stream-not-found' || type === 'stream-deleted') return [];
      throw toPortError(error, stream);
    }
  }

  /**
   * This service's events after `afterPosition`, oldest first. `$all` interleaves system events (`$…`) and,
   * in a shared cluster, other applications' streams: pages made only of those are read past, so an empty
   * answer always means the end of the log, never a page of someone else's events.
   */
  async readAll({ afterPosition = 0, maxCount }: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const wanted = maxCount !== undefined && maxCount >= 0 ? maxCount : Number.POSITIVE_INFINITY;
    const found: RecordedEvent[] = [];
    let from: 'start' | ClientPosition = toClientPosition(afterPosition);
    let cursor = afterPosition;
    try {
      for (;;) {
        const page = await this.readPage('a read of $all', FORWARDS, from);
        // A read from a position includes the event there: take only what comes after the cursor.
        for (const event of page.events) {
          if (event.position > cursor && found.length < wanted) found.push(event);
        }
        if (found.length >= wanted || page.read < ALL_PAGE || !page.last) return found;
        from = page.last;
        cursor = Number(page.last.commit);
      }
    } catch (error) {
      throw toPortError(error, '$all');
    }
  }

  /**
   * Batches of up to `maxBatchSize`: what the subscription has already received goes together (a catch-up
   * commits many events per transaction), and a batch never waits for events that have not arrived.
   */
  async *subscribeToAll({
    afterPosition,
    signal,
    maxBatchSize = 500,
  }: SubscribeToAllOptions): AsyncIterable<RecordedEvent[]> {
    const subscription = this.client.subscribeToAll({
      fromPosition: toClientPosition(afterPosition),
      // This service's streams only: no system events, no other application's.
      filter: streamNameFilter({ prefixes: SERVICE_STREAM_PREFIXES }),
    });
    const stop = () => void subscription.unsubscribe();
    signal?.addEventListener('abort', stop, { once: true });
    const received = subscription[Symbol.asyncIterator]();
    type Next = Awaited<ReturnType<typeof received.next>>;
    const NOT_YET = Symbol('not yet');
    let waiting: Promise<Next> | undefined;
    try {
      for (;;) {
        const batch: RecordedEvent[] = [];
        const take = (result: Next): boolean => {
          if (result.done) return false;
          const event = result.value.event as unknown as ClientRecordedEvent | undefined;
          if (event && isOurs(event)) {
            const recorded = fromClientEvent(event);
            if (recorded.position > afterPosition) batch.push(recorded);
          }
          return true;
        };
        let open = take(await (waiting ?? received.next()));
        waiting = undefined;
        while (open && batch.length < maxBatchSize) {
          const next = received.next();
          const ready = await Promise.race([next, setImmediate(NOT_YET)]);
          if (ready === NOT_YET) {
            waiting = next;
            break;
          }
          open = take(ready);
        }
        if (signal?.aborted) return;
        if (batch.length > 0) yield batch;
        if (!open) return;
      }
    } catch (error) {
      if (signal?.aborted) return;
      throw toPortError(error, '$all');
    } finally {
      signal?.removeEventListener('abort', stop);
      await subscription.unsubscribe().catch(() => undefined);
    }
  }

  /**
   * The position of this service's last event, or 0 when the log holds none. Pages backwards past system
   * events (a cluster writes `$stats` and the like all the time) and other applications' events until it
   * finds one of ours or reaches the start.
   */
  async headPosition(): Promise<number> {
    let from: 'end' | ClientPosition = END;
    try {
      for (;;) {
        const page: AllPage = await this.readPage('a read of the head of $all', BACKWARDS, from);
        const ours = page.events.find((event) => from === END || event.position < Number(from.commit));
        if (ours) return ours.position;
        if (page.read < ALL_PAGE || !page.last) return 0;
        from = page.last;
      }
    } catch (error) {
      throw toPortError(error, '$all');
    }
  }

  async close(): Promise<void> {
    await this.client.dispose();
  }

  /** Reads a whole (bounded) stream result. */
  private async collect(read: AsyncIterable<{ event?: unknown }>): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    for await (const resolved of read) {
      const event = resolved.event as ClientRecordedEvent | undefined;
      if (event) events.push(fromClientEvent(event));
    }
    return events;
  }

  /** One page of `$all` (see AllPage), under the deadline; a read that times out is cancelled. */
  private async readPage(
    what: string,
    direction: typeof FORWARDS | typeof BACKWARDS,
    from: 'start' | 'end' | ClientPosition,
  ): Promise<AllPage> {
    const stream = this.client.readAll({
      direction,
      fromPosition: from,
      maxCount: BigInt(ALL_PAGE),
      deadline: this.deadlineMs,
    });
    const collect = async (): Promise<AllPage> => {
      const events: RecordedEvent[] = [];
      let read = 0;
      let last: ClientPosition | undefined;
      for await (const resolved of stream) {
        const event = resolved.event as ClientRecordedEvent | undefined;
        if (!event) continue;
        read += 1;
        last = event.position ?? last;
        if (isOurs(event)) events.push(fromClientEvent(event));
      }
      return { events, read, last };
    };
    return withDeadline(what, this.deadlineMs, collect(), () => void stream.cancel());
  }
}

/** An event of this service's log: not a system event, and in one of its streams. */
function isOurs(event: ClientRecordedEvent): boolean {
  return !event.type.startsWith('$') && isServiceStream(event.streamId);
}
