import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  excludeSystemEvents,
  FORWARDS,
  jsonEvent,
  START,
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
  private readonly client: EventStoreDBClient;
  readonly description: string;

  constructor(
    connectionString: string,
    private readonly deadlineMs = 5000,
  ) {
    this.client = EventStoreDBClient.connectionString(connectionString);
    this.description = `EventStoreDB at ${connectionString.replace(/\/\/[^@/]*@/, '//***@')}`;
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
    try {
      const events = await withDeadline(
        `a read of ${stream}`,
        this.deadlineMs,
        this.collect(
          this.client.readStream(stream, {
            direction: backwards ? BACKWARDS : FORWARDS,
            fromRevision: options.fromRevision !== undefined ? BigInt(options.fromRevision) : backwards ? END : START,
            ...(options.maxCount !== undefined && !filtered ? { maxCount: BigInt(options.maxCount) } : {}),
            deadline: this.deadlineMs,
          }),
        ),
      );
      if (!filtered) return events;
      return events.filter((event) => matchesStreamFilter(event, options)).slice(0, options.maxCount);
    } catch (error) {
      if ((error as { type?: string })?.type === 'stream-not-found') return [];
      throw toPortError(error, stream);
    }
  }

  async readAll({ afterPosition = 0, maxCount }: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    try {
      const events = await withDeadline(
        'a read of $all',
        this.deadlineMs,
        this.collect(
          this.client.readAll({
            direction: FORWARDS,
            fromPosition: toClientPosition(afterPosition),
            // One more than asked: the read is inclusive of the event at afterPosition.
            ...(maxCount !== undefined && maxCount >= 0 ? { maxCount: BigInt(maxCount + 1) } : {}),
            deadline: this.deadlineMs,
          }),
          true,
        ),
      );
      const after = events.filter((e) => e.position > afterPosition);
      return maxCount !== undefined && maxCount >= 0 ? after.slice(0, maxCount) : after;
    } catch (error) {
      throw toPortError(error, '$all');
    }
  }

  async *subscribeToAll({ afterPosition, signal }: SubscribeToAllOptions): AsyncIterable<RecordedEvent[]> {
    const subscription = this.client.subscribeToAll({
      fromPosition: toClientPosition(afterPosition),
      filter: excludeSystemEvents(),
    });
    const stop = () => void subscription.unsubscribe();
    signal?.addEventListener('abort', stop, { once: true });
    try {
      for await (const resolved of subscription) {
        if (signal?.aborted) return;
        if (!resolved.event || resolved.event.type.startsWith('$')) continue;
        const event = fromClientEvent(resolved.event as unknown as ClientRecordedEvent);
        if (event.position > afterPosition) yield [event];
      }
    } catch (error) {
      if (signal?.aborted) return;
      throw toPortError(error, '$all');
    } finally {
      signal?.removeEventListener('abort', stop);
      await subscription.unsubscribe().catch(() => undefined);
    }
  }

  async headPosition(): Promise<number> {
    try {
      const [last] = await withDeadline(
        'a read of the head of $all',
        this.deadlineMs,
        this.collect(
          // Backwards from the end, past the system events EventStoreDB writes itself.
          this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 500n, deadline: this.deadlineMs }),
          true,
        ),
      );
      return last?.position ?? 0;
    } catch (error) {
      throw toPortError(error, '$all');
    }
  }

  async close(): Promise<void> {
    await this.client.dispose();
  }

  /** Reads a whole (bounded) result; system events (`$…`) are not part of this service's log. */
  private async collect(read: AsyncIterable<{ event?: unknown }>, skipSystem = false): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    for await (const resolved of read) {
      const event = resolved.event as ClientRecordedEvent | undefined;
      if (!event || (skipSystem && (event.type.startsWith('$') || event.streamId.startsWith('$')))) continue;
      events.push(fromClientEvent(event));
    }
    return events;
  }
}
