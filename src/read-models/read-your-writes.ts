import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../common/config.js';
import type { CheckpointedConsumer } from '../event-store/checkpointed-consumer.js';
import type { EventStore } from '../event-store/event-store.js';
import { COMPLETION_SAGA_CONSUMER, CONFIG, EVENT_STORE, READ_MODELS_PROJECTOR } from '../common/tokens.js';

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
    if (position > 0) await this.projector.waitForPosition(position, this.config.readYourWritesTimeoutMs);
  }

  /**
   * For a webview completion at `position`: the saga has handled it, and every event the saga appended for
   * it (all after `position`, all before the head seen once the saga is past it) is in the read models.
   */
  async waitForCompletion(position: number): Promise<void> {
    await this.completionSaga.waitForPosition(position, this.config.readYourWritesTimeoutMs);
    await this.waitFor(await this.store.headPosition());
  }
}
