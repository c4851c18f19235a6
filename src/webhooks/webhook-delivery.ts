import { join } from 'node:path';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { AppConfig } from '../common/config.js';
import { CONFIG } from '../common/tokens.js';
import { ReadModelDatabase } from '../read-models/read-model-database.js';
import { DeliveryStore } from './delivery-store.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';

/** The dispatcher's life in the server: started after bootstrap where WEBHOOK_DELIVERY is on, stopped at shutdown. */
@Injectable()
export class WebhookDelivery implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly dispatcher: WebhookDispatcher;
  private readonly deliveries: DeliveryStore;

  constructor(
    @Inject(ReadModelDatabase) readModels: ReadModelDatabase,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {
    this.deliveries = new DeliveryStore(join(config.dataDir, 'deliveries.db'));
    this.dispatcher = new WebhookDispatcher(readModels, this.deliveries, config.webhooks, new Logger('Webhooks'));
  }

  onApplicationBootstrap(): void {
    if (this.config.webhooks.deliver) this.dispatcher.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.dispatcher.stop();
    this.deliveries.close();
  }
}
