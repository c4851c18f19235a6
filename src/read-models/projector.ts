import type { ConsumerHandler } from '../event-store/checkpointed-consumer.js';
import type { RecordedEvent } from '../event-store/event-store.js';
import { applyEvent } from './projection.js';
import { READ_MODELS_CONSUMER, type ReadModelDatabase } from './read-model-database.js';

export { READ_MODELS_CONSUMER };

/**
 * Feeds every projection from the log. A batch of events and the checkpoint after it commit in one
 * transaction, so a crash leaves the read models exactly at the checkpoint. Events at or before the stored
 * checkpoint are skipped, so a batch delivered twice (or by two processes sharing the file) applies once.
 */
export class ReadModelProjector implements ConsumerHandler {
  constructor(private readonly readModels: ReadModelDatabase) {}

  loadCheckpoint(): number {
    return this.readModels.checkpoint(READ_MODELS_CONSUMER);
  }

  handle(events: RecordedEvent[]): void {
    const erases = events.some((event) => this.readModels.scrubAfter.has(event.type));
    this.readModels.transaction(() => {
      let checkpoint = this.readModels.checkpoint(READ_MODELS_CONSUMER);
      for (const event of events) {
        if (event.position <= checkpoint) continue;
        applyEvent(this.readModels.db, this.readModels.projections, event);
        checkpoint = event.position;
      }
      this.readModels.endOfBatch();
      this.readModels.setCheckpoint(READ_MODELS_CONSUMER, checkpoint);
    });
    if (erases) this.readModels.scrub();
  }
}
