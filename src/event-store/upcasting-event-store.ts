import type { EventStore, NewEvent, RecordedEvent } from './event-store.js';
import { EventStoreDecorator } from './event-store-decorator.js';

/** Turns `data` of one event type from `fromVersion` into `fromVersion + 1`. */
export interface Upcaster {
  type: string;
  fromVersion: number;
  upcast(data: unknown): unknown;
}

/**
 * Events are stored in the shape they were written in and read in the current one. Appends are stamped
 * with their type's current schema version (1 + the upcasters it has); every read path (streams, the
 * global log, subscriptions) runs the upcasters from the stored version up. Deciders, projections, the saga
 * and the audit routes therefore only ever see current shapes, and replay reads every earlier version.
 */
export class UpcastingEventStore extends EventStoreDecorator {
  private readonly byType = new Map<string, Upcaster[]>();

  constructor(inner: EventStore, upcasters: readonly Upcaster[]) {
    super(inner);
    for (const upcaster of upcasters) {
      this.byType.set(
        upcaster.type,
        [...(this.byType.get(upcaster.type) ?? []), upcaster].sort((a, b) => a.fromVersion - b.fromVersion),
      );
    }
  }

  currentVersion(type: string): number {
    return 1 + (this.byType.get(type)?.length ?? 0);
  }

  upcast(event: RecordedEvent): RecordedEvent {
    const chain = this.byType.get(event.type);
    const stored = event.metadata.schema_version ?? 1;
    if (!chain || stored >= this.currentVersion(event.type)) return event;
    const data = chain.filter((u) => u.fromVersion >= stored).reduce((d, u) => u.upcast(d), event.data);
    return { ...event, data, metadata: { ...event.metadata, schema_version: this.currentVersion(event.type) } };
  }

  protected override encode(_stream: string, events: readonly NewEvent[]): NewEvent[] {
    return events.map((e) => ({ ...e, metadata: { ...e.metadata, schema_version: this.currentVersion(e.type) } }));
  }

  protected override decode(events: RecordedEvent[]): RecordedEvent[] {
    return events.map((e) => this.upcast(e));
  }
}
