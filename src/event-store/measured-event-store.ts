import { metrics } from '../common/metrics.js';
import type { AppendResult, ExpectedRevision, NewEvent } from './event-store.js';
import { EventStoreDecorator } from './event-store-decorator.js';

/** Times every append, whatever the adapter, for `event_store_append_duration_seconds`. */
export class MeasuredEventStore extends EventStoreDecorator {
  override async append(
    stream: string,
    events: readonly NewEvent[],
    options: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> {
    const done = metrics.appendDuration.startTimer();
    try {
      return await this.inner.append(stream, events, options);
    } finally {
      done();
    }
  }
}
