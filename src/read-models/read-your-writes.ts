import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../common/config.js';
import type { CheckpointedConsumer } from '../event-store/checkpointed-consumer.js';
import type { EventStore } from '../event-store/event-store.js';
import { COMPLETION_SAGA_CONSUMER, CONFIG, EVENT_STORE, READ_MODELS_PROJECTOR } from '../common/tokens.js';

/** A log position asked for that the log has not reached: a position from another log, or made up. */
export class PositionPastHeadError extends Error {
  constructor(
    readonly position: number,
    readonly head: number,
  ) {
    super(`Log position ${position} is past the head of this log (${head})`);
    this.name = 'PositionPastHeadError';
  }
}

/** A write is acknowledged only once the read models show it. */
@Injectable()
export class ReadYourWrites {
  constructor(
    @Inject(READ_MODELS_PROJECTOR) private readonly projector: CheckpointedConsumer,
    @Inject(COMPLETION_SAGA_CONSUMER) private readonly completionSaga: CheckpointedConsumer,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  async waitFor(position: number): Promise<void> {
    if (position <= 0) return;
    await this.projector.waitForPosition(position, this.config.readYourWritesTimeoutMs);
  }

  /**
   * A read that carries a position (from a write answered by any instance): waits until these read models
   * reach it. A position past the log's head is refused at once rather than waited for.
   */
  async waitForLogPosition(position: number): Promise<void> {
    if (this.projector.status().position >= position) return;
    const head = await this.store.headPosition();
    if (position > head) throw new PositionPastHeadError(position, head);
    await this.projector.waitForPosition(position, this.config.readYourWritesTimeoutMs);
  }

  /**
   * For a webview completion at `position`: the saga has handled it, and every event the saga appended for
   * it (all after `position`, all before the head seen once the saga is past it) is in the read models.
   * Answers the position the read models then reflect.
   */
  async waitForCompletion(position: number): Promise<number> {
    await this.completionSaga.waitForPosition(position, this.config.readYourWritesTimeoutMs);
    const head = await this.store.headPosition();
    await this.waitFor(head);
    return head;
  }
}
