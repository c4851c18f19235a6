import type {
  AppendResult,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeToAllOptions,
} from './event-store.js';

/**
 * What stands in front of an adapter (upcasting, sealing, timing) is written once: every call goes to the
 * store behind, each append through `encode` and each read, whatever its path (a stream, the global log, a
 * subscription), through `decode`. A decorator says only what it changes.
 */
export abstract class EventStoreDecorator implements EventStore {
  constructor(protected readonly inner: EventStore) {}

  /** The events as the store behind should keep them. */
  protected encode(_stream: string, events: readonly NewEvent[]): readonly NewEvent[] | Promise<readonly NewEvent[]> {
    return events;
  }

  /** The events as read from the store behind, as this store's readers should see them. */
  protected decode(events: RecordedEvent[]): RecordedEvent[] | Promise<RecordedEvent[]> {
    return events;
  }

  async append(
    stream: string,
    events: readonly NewEvent[],
    options: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> {
    return this.inner.append(stream, await this.encode(stream, events), options);
  }

  async readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    return this.decode(await this.inner.readStream(stream, options));
  }

  async readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    return this.decode(await this.inner.readAll(options));
  }

  async *subscribeToAll(options: SubscribeToAllOptions): AsyncIterable<RecordedEvent[]> {
    for await (const batch of this.inner.subscribeToAll(options)) yield await this.decode(batch);
  }

  headPosition(): Promise<number> {
    return this.inner.headPosition();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** The decorator of this kind in the chain, this one or one behind it: how the app finds the sealing one. */
  find<T extends EventStoreDecorator>(kind: abstract new (...args: never[]) => T): T | undefined {
    if (this instanceof kind) return this;
    return this.inner instanceof EventStoreDecorator ? this.inner.find(kind) : undefined;
  }
}
