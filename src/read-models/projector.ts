import type { ConsumerHandler } from '../event-store/checkpointed-consumer.js';
import type { RecordedEvent } from '../event-store/event-store.js';
import { READ_MODELS_CONSUMER, type ProjectionDatabase } from './projection-database.js';

export { READ_MODELS_CONSUMER };

/** The projection files a projector feeds: read at each batch, since a swap replaces some. */
export interface ProjectedFiles {
  readonly parts: readonly ProjectionDatabase[];
}

/**
 * Feeds every projection from the log, each in its own file and transaction, with its own checkpoint
 * (ProjectionDatabase.project): a crash between two of them leaves each exactly at its checkpoint, and the
 * next batch starts from the lowest. A projection already past an event (one rebuilt and swapped in) skips it.
 */
export class ReadModelProjector implements ConsumerHandler {
  /** The last position handled: where every file is, whatever its checkpoint says (see `project`). */
  private handled = 0;

  constructor(private readonly files: ProjectedFiles) {}

  loadCheckpoint(): number {
    return lowestCheckpoint(this.files.parts);
  }

  handle(events: RecordedEvent[]): void {
    for (const part of this.files.parts) {
      if (part.project(events)) part.scrub();
    }
    this.handled = Math.max(this.handled, events.at(-1)?.position ?? 0);
  }

  /** Every file's checkpoint written where the projector is: a clean stop leaves nothing to read again. */
  stopped(): void {
    for (const part of this.files.parts) part.settle(this.handled);
  }
}

export function lowestCheckpoint(parts: readonly ProjectionDatabase[]): number {
  return Math.min(...parts.map((part) => part.checkpoint()));
}
