import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import type { AppConfig } from '../common/config.js';
import { collectedMetrics, collectFrom } from '../common/metrics.js';
import { CONFIG, READ_MODELS_PROJECTOR } from '../common/tokens.js';
import type { CheckpointedConsumer } from '../event-store/checkpointed-consumer.js';
import { ReadModelDatabase } from '../read-models/read-model-database.js';
import { AlwaysHeldLease, PostgresAdvisoryLease, type DeliveryLease } from './delivery-lease.js';
import { postgresDeliveryStore, sqliteDeliveryStore, type DeliveryStore } from './delivery-store.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';

/**
 * The dispatcher's life in the server: where WEBHOOK_DELIVERY is on, it runs while this instance holds the
 * delivery lease (always, on SQLite; on PostgreSQL, while no other instance does), and stops at shutdown.
 */
@Injectable()
export class WebhookDelivery implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly dispatcher: WebhookDispatcher;
  readonly lease: DeliveryLease;
  private readonly deliveries: DeliveryStore;
  private readonly pool: pg.Pool | undefined;
  private readonly logger = new Logger('Webhooks');
  private stopListening: (() => void) | undefined;

  constructor(
    @Inject(ReadModelDatabase) readModels: ReadModelDatabase,
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(READ_MODELS_PROJECTOR) private readonly projector: CheckpointedConsumer,
  ) {
    if (config.eventStore.kind === 'postgres') {
      const { connectionString, deadlineMs } = config.eventStore;
      this.pool = new pg.Pool({ connectionString, max: 2, connectionTimeoutMillis: deadlineMs });
      this.pool.on('error', () => undefined);
      this.deliveries = postgresDeliveryStore(this.pool);
      this.lease = new PostgresAdvisoryLease(connectionString, config.webhooks.leaseCheckMs, this.logger);
    } else {
      this.deliveries = sqliteDeliveryStore(join(config.dataDir, 'deliveries.db'));
      this.lease = new AlwaysHeldLease();
    }
    this.dispatcher = new WebhookDispatcher(readModels, this.deliveries, config.webhooks, this.logger);
    collectFrom(collectedMetrics.webhookEventsPending, async (gauge) =>
      gauge.set(await this.dispatcher.pendingEvents()),
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.adoptLocalState();
    if (!this.config.webhooks.deliver) return;
    // New events and webhook changes are announced by the projector, not looked for on a timer.
    this.stopListening = this.projector.onAdvance(() => this.dispatcher.notify());
    this.lease.start({ acquired: () => this.dispatcher.start(), lost: () => this.dispatcher.stop() });
  }

  /**
   * After a switch from SQLite to PostgreSQL (copy-events), this DATA_DIR's `deliveries.db` holds how far
   * each webhook got: the shared table takes it over, so nothing delivered before is delivered again.
   */
  private async adoptLocalState(): Promise<void> {
    const local = join(this.config.dataDir, 'deliveries.db');
    if (this.config.eventStore.kind !== 'postgres' || !existsSync(local)) return;
    const before = sqliteDeliveryStore(local);
    try {
      for (const state of await before.all()) await this.deliveries.adopt(state);
    } catch (error) {
      this.logger.warn(`Could not carry deliveries.db over to PostgreSQL: ${String(error)}`);
    } finally {
      await before.close();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopListening?.();
    await this.lease.stop();
    await this.dispatcher.stop();
    await this.deliveries.close();
    await this.pool?.end();
  }
}
