import { EventEmitter } from 'node:events';
import type { EventMetadata, ExpectedRevision, NewEvent, RecordedEvent, SubscribeToAllOptions } from './event-store.js';

/**
 * What the two SQL stores (SQLite, PostgreSQL) share: their row shape, an append waiting for its group
 * commit, and subscriptions that read after a position and wait for the next append (or a poll).
 */
export interface StoredEventRow {
  /** A number from SQLite; a string from PostgreSQL (BIGINT). */
  position: number | string;
  event_id: string;
  stream: string;
  revision: number;
  type: string;
  data: string;
  metadata: string;
  recorded_at: string;
}

export interface PendingAppend {
  stream: string;
  events: readonly NewEvent[];
  expectedRevision: ExpectedRevision;
}

export function toRecordedEvent(row: StoredEventRow): RecordedEvent {
  return {
    id: row.event_id,
    type: row.type,
    stream: row.stream,
    revision: row.revision,
    position: Number(row.position),
    data: JSON.parse(row.data),
    metadata: JSON.parse(row.metadata) as EventMetadata,
    recordedAt: row.recorded_at,
  };
}

/** Tells waiting subscribers that something was appended (by this process, or another's notification). */
export class AppendSignal {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  notify(): void {
    this.emitter.emit('appended');
  }

  /**
   * Settles on the next `notify`, after `pollMs` (another process's append, unnoticed), or on abort.
   * `cancel` releases it unused.
   */
  next(pollMs: number, signal?: AbortSignal): { promise: Promise<void>; cancel(): void } {
    let wake = () => undefined as void;
    const promise = new Promise<void>((resolve) => (wake = resolve));
    const done = () => {
      clearTimeout(timer);
      this.emitter.off('appended', done);
      signal?.removeEventListener('abort', done);
      wake();
    };
    const timer = setTimeout(done, pollMs);
    this.emitter.once('appended', done);
    signal?.addEventListener('abort', done, { once: true });
    return { promise, cancel: done };
  }
}

/**
 * Batches of events after `afterPosition`, then live ones. It starts waiting before each read, so an append
 * committed during a read that found nothing wakes it at once.
 */
export async function* readAndWait(
  read: (afterPosition: number, maxCount: number) => Promise<RecordedEvent[]>,
  appended: AppendSignal,
  { afterPosition, maxBatchSize = 500, signal }: SubscribeToAllOptions,
  { pollMs, closed }: { pollMs: number; closed: () => boolean },
): AsyncIterable<RecordedEvent[]> {
  let position = afterPosition;
  while (!signal?.aborted && !closed()) {
    const woken = appended.next(pollMs, signal);
    const batch = await read(position, maxBatchSize).catch((error: unknown) => {
      woken.cancel();
      throw error;
    });
    if (batch.length > 0) {
      woken.cancel();
      position = batch[batch.length - 1].position;
      yield batch;
      continue;
    }
    await woken.promise;
  }
}
