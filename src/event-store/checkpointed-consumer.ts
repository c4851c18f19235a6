import { setImmediate, setTimeout as sleep } from 'node:timers/promises';
import type { EventStore, RecordedEvent } from './event-store.js';

/** A batch this large means a catch-up, not live traffic. */
const CATCH_UP_BATCH = 100;

export interface ConsumerHandler {
  /** Position of the last event whose effects are committed (0: none). */
  loadCheckpoint(): number | Promise<number>;
  /**
   * Applies a batch in order. Its effects and the new checkpoint must be committed together, or the
   * effects must be idempotent: after a crash the batch is delivered again.
   */
  handle(events: RecordedEvent[]): void | Promise<void>;
  /** Once the consumer has stopped, after its last batch: for a handler that defers writing some checkpoints. */
  stopped?(): void | Promise<void>;
}

export interface ConsumerStatus {
  name: string;
  position: number;
  failing: boolean;
  lastError: string | null;
  consecutiveFailures: number;
}

export interface ConsumerLogger {
  error(message: string): void;
  log(message: string): void;
}

/** Told the consumer's new position, and the batch that took it there (none at its start). */
export type AdvanceListener = (position: number, batch: readonly RecordedEvent[]) => void;

export class ConsumerTimeoutError extends Error {
  constructor(name: string, position: number, reached: number) {
    super(`Consumer ${name} has not reached position ${position} in time (it is at ${reached})`);
    this.name = 'ConsumerTimeoutError';
  }
}

/**
 * Runs one consumer of the global log from its checkpoint. A failing handler or a dropped subscription
 * never ends it silently: the failure is logged and shown in `status()`, and the consumer resubscribes
 * from its last committed checkpoint with exponential backoff, retrying the same event until it passes.
 */
export class CheckpointedConsumer {
  private position = 0;
  private abort = new AbortController();
  private running: Promise<void> | undefined;
  private lastError: string | null = null;
  private consecutiveFailures = 0;
  private waiters = new Set<{ position: number; resolve: () => void }>();
  private readonly advanceListeners = new Set<AdvanceListener>();

  constructor(
    readonly name: string,
    private readonly store: EventStore,
    private readonly handler: ConsumerHandler,
    private readonly logger: ConsumerLogger,
    private readonly options: { maxBatchSize?: number; maxBackoffMs?: number } = {},
  ) {}

  start(): void {
    if (this.running) return;
    this.abort = new AbortController();
    this.running = this.run(this.abort.signal);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
    this.running = undefined;
    await this.handler.stopped?.();
  }

  get isRunning(): boolean {
    return this.running !== undefined;
  }

  status(): ConsumerStatus {
    return {
      name: this.name,
      position: this.position,
      failing: this.consecutiveFailures > 0,
      lastError: this.lastError,
      consecutiveFailures: this.consecutiveFailures,
    };
  }

  /**
   * Calls `listener` each time the consumer moves on, once the batch's effects are committed: what reads the
   * consumer's output (the read models' event streams, the webhook dispatcher) is told, rather than looking
   * on a timer. Answers how to stop listening.
   */
  onAdvance(listener: AdvanceListener): () => void {
    this.advanceListeners.add(listener);
    return () => this.advanceListeners.delete(listener);
  }

  /** Resolves once every event up to `position` is handled: read-your-writes for the API. */
  waitForPosition(position: number, timeoutMs: number): Promise<void> {
    if (this.position >= position) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = {
        position,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new ConsumerTimeoutError(this.name, position, this.position));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        this.advanceTo(await this.handler.loadCheckpoint());
        const batches = this.store.subscribeToAll({
          afterPosition: this.position,
          maxBatchSize: this.options.maxBatchSize,
          signal,
        });
        for await (const batch of batches) {
          if (signal.aborted) break;
          await this.handler.handle(batch);
          this.advanceTo(batch[batch.length - 1].position, batch);
          if (this.consecutiveFailures > 0) this.logger.log(`${this.name}: recovered at position ${this.position}`);
          this.consecutiveFailures = 0;
          this.lastError = null;
          // A catch-up reads batch after batch without waiting on I/O: between its (large) batches the event
          // loop gets a turn, so requests and the server's own listen are not held up behind the whole log.
          // Live traffic comes in small batches, handled at once: a turn each would delay every write's answer.
          if (batch.length >= CATCH_UP_BATCH) await setImmediate();
        }
      } catch (error) {
        if (signal.aborted) break;
        this.consecutiveFailures += 1;
        this.lastError = error instanceof Error ? error.message : String(error);
        const delay = Math.min(100 * 2 ** (this.consecutiveFailures - 1), this.options.maxBackoffMs ?? 5000);
        this.logger.error(
          `${this.name}: failed after position ${this.position} (attempt ${this.consecutiveFailures}), ` +
            `retrying in ${delay} ms: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
        await sleep(delay, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  private advanceTo(position: number, batch: readonly RecordedEvent[] = []): void {
    if (position <= this.position) return;
    this.position = position;
    for (const waiter of this.waiters) {
      if (waiter.position <= this.position) {
        this.waiters.delete(waiter);
        waiter.resolve();
      }
    }
    for (const listener of this.advanceListeners) {
      try {
        listener(this.position, batch);
      } catch (error) {
        this.logger.error(`${this.name}: a listener failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}
