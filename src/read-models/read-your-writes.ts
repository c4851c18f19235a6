import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, READ_MODELS_PROJECTOR } from '../tokens.js';
import type { AppConfig } from '../config.js';
import type { CheckpointedConsumer } from '../event-store/checkpointed-consumer.js';

/** A write is acknowledged only once the read models show it. */
@Injectable()
export class ReadYourWrites {
  constructor(
    @Inject(READ_MODELS_PROJECTOR) private readonly projector: CheckpointedConsumer,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  async waitFor(position: number): Promise<void> {
    if (position > 0) await this.projector.waitForPosition(position, this.config.readYourWritesTimeoutMs);
  }
}
