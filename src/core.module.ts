import { join } from 'node:path';
import {
  Global,
  Inject,
  Logger,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { AppConfig } from './common/config.js';
import type { Gauge } from 'prom-client';
import { collectedMetrics, collectFrom } from './common/metrics.js';
import type { CheckpointedConsumer } from './event-store/checkpointed-consumer.js';
import type { EventStore } from './event-store/event-store.js';
import { ReadModelDatabase } from './read-models/read-model-database.js';
import { ReadYourWrites } from './read-models/read-your-writes.js';
import { AsOfReads } from './read-models/as-of.js';
import { liveReadModelsPath, markServerRunning, markServerStopped, removeDatabaseFiles } from './audit/index.js';
import { READ_MODEL_SCHEMA } from './read-model-schema.js';
import { dataKeysOf, openCompletionSaga, openEventStore, openProjector } from './runtime.js';
import { bindLogToKeyStore } from './encryption/key-store-binding.js';
import {
  API_KEY_USAGE,
  COMPLETION_SAGA_CONSUMER,
  CONFIG,
  DATA_KEYS,
  EVENT_STORE,
  READ_MODELS_PROJECTOR,
} from './common/tokens.js';
import { ApiKeyUsage } from './workspaces/index.js';
import { ParkedSagaEvents } from './completion/index.js';
import { completionCommands } from './completion/nest.js';
import { DeciderCommandHandler } from './event-store/decider-command-handler.js';
import { CommandBus } from '@nestjs/cqrs';
import { WebviewTokens } from './connect-webviews/index.js';
import { ConnectedAccountIds } from './connected-accounts/index.js';
import { CatchUp } from './read-models/catch-up.js';
import { ReadModelLifecycle } from './read-model-lifecycle.js';
import { ensureLogIdentity } from './event-store/log-identity.js';

/**
 * The event store, the read models and the projector that feeds them. Start-up waits until the read
 * models have caught up with the log, so the first request already reads everything acknowledged before.
 */
@Global()
@Module({})
export class CoreModule implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('CoreModule');

  /**
   * Every provider is built by a factory when the app is made, in the order their injections ask for: nothing
   * is opened when the module is defined.
   */
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: CONFIG, useValue: config },
        {
          provide: EVENT_STORE,
          useFactory: () => {
            // Idempotent creates' answers were once kept in this file, one per instance; the log holds them
            // now (event-store/idempotency-key.ts), and an upgraded data directory should not keep them too.
            removeDatabaseFiles(join(config.dataDir, 'idempotency.db'));
            return openEventStore(config);
          },
        },
        {
          provide: DeciderCommandHandler,
          inject: [EVENT_STORE],
          useFactory: (store: EventStore) =>
            new DeciderCommandHandler(store, { stateCacheBytes: config.limits.stateCacheBytes }),
        },
        { provide: AsOfReads, inject: [EVENT_STORE], useFactory: (store: EventStore) => new AsOfReads(store) },
        {
          provide: ConnectedAccountIds,
          inject: [EVENT_STORE],
          useFactory: (store: EventStore) => new ConnectedAccountIds(store),
        },
        { provide: DATA_KEYS, inject: [EVENT_STORE], useFactory: (store: EventStore) => dataKeysOf(store) },
        {
          provide: WebviewTokens,
          inject: [EVENT_STORE],
          useFactory: (store: EventStore) => new WebviewTokens(dataKeysOf(store)),
        },
        {
          provide: ReadModelDatabase,
          useFactory: () => new ReadModelDatabase(liveReadModelsPath(config.dataDir), READ_MODEL_SCHEMA),
        },
        {
          provide: READ_MODELS_PROJECTOR,
          inject: [EVENT_STORE, ReadModelDatabase],
          useFactory: (store: EventStore, readModels: ReadModelDatabase) =>
            openProjector(store, readModels, new Logger('Projector')),
        },
        {
          // The saga's steps go through the CommandBus, so the saga is made once the bus is.
          provide: COMPLETION_SAGA_CONSUMER,
          inject: [CommandBus, DeciderCommandHandler, ReadModelDatabase, ParkedSagaEvents],
          useFactory: (
            bus: CommandBus,
            commands: DeciderCommandHandler,
            readModels: ReadModelDatabase,
            parkedSagaEvents: ParkedSagaEvents,
          ) =>
            openCompletionSaga(
              completionCommands(bus, commands),
              readModels,
              parkedSagaEvents,
              new Logger('CompletionSaga'),
            ),
        },
        // The deployment's own state (common/shared-table.ts).
        { provide: API_KEY_USAGE, useFactory: () => new ApiKeyUsage(config) },
        { provide: ParkedSagaEvents, useFactory: () => new ParkedSagaEvents(config) },
        {
          provide: CatchUp,
          inject: [READ_MODELS_PROJECTOR],
          useFactory: (projector: CheckpointedConsumer) => new CatchUp(projector),
        },
        {
          provide: ReadModelLifecycle,
          inject: [EVENT_STORE, ReadModelDatabase, READ_MODELS_PROJECTOR, COMPLETION_SAGA_CONSUMER, CatchUp],
          useFactory: (
            store: EventStore,
            readModels: ReadModelDatabase,
            projector: CheckpointedConsumer,
            completionSaga: CheckpointedConsumer,
            catchUp: CatchUp,
          ) => new ReadModelLifecycle(config, store, readModels, projector, completionSaga, catchUp),
        },
        ReadYourWrites,
      ],
      exports: [
        CONFIG,
        EVENT_STORE,
        DeciderCommandHandler,
        AsOfReads,
        ConnectedAccountIds,
        DATA_KEYS,
        WebviewTokens,
        ReadModelDatabase,
        READ_MODELS_PROJECTOR,
        COMPLETION_SAGA_CONSUMER,
        API_KEY_USAGE,
        ParkedSagaEvents,
        CatchUp,
        ReadYourWrites,
      ],
    };
  }

  /** The log's head when the service started; null when the store did not answer. */
  headAtStart: number | null = null;
  /** Whether this start found the log empty and marked it first: then it sets up a sandbox workspace. */
  isNewLog = false;

  /** Marks the log (once, whichever instance comes first) and rebuilds read models built from another. */
  private async bindToLog(head: number): Promise<void> {
    const { logId, created } = await ensureLogIdentity(this.store);
    const keys = dataKeysOf(this.store);
    if (keys) await bindLogToKeyStore(this.store, keys);
    this.isNewLog = created && head === 0;
    const previous = this.readModels.bindToLog(logId);
    if (previous) {
      this.logger.warn(
        `The read models were built from another log (${previous}); this is log ${logId}: rebuilding them from its start`,
      );
    }
  }

  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(ReadModelDatabase) private readonly readModels: ReadModelDatabase,
    @Inject(READ_MODELS_PROJECTOR) private readonly projector: CheckpointedConsumer,
    @Inject(COMPLETION_SAGA_CONSUMER) private readonly completionSaga: CheckpointedConsumer,
    @Inject(API_KEY_USAGE) private readonly apiKeyUsage: ApiKeyUsage,
    @Inject(ParkedSagaEvents) private readonly parkedSagaEvents: ParkedSagaEvents,
    @Inject(CatchUp) private readonly catchUp: CatchUp,
    @Inject(WebviewTokens) private readonly webviewTokens: WebviewTokens,
    @Inject(AsOfReads) private readonly asOfReads: AsOfReads,
    @Inject(ReadModelLifecycle) private readonly lifecycle: ReadModelLifecycle,
  ) {}

  /** The consumers' lag and failure state, and the parked saga events, read at each scrape of /metrics. */
  private exportMetrics(): void {
    const consumers = [this.projector, this.completionSaga];
    collectFrom(collectedMetrics.consumerLag, async (gauge) => {
      const head = await this.store.headPosition().catch(() => null);
      // Positions are dense on SQLite and PostgreSQL: head minus checkpoint counts events. On EventStoreDB
      // they are byte offsets, so the figure there is a distance, not a count; 0 still means caught up.
      for (const consumer of consumers) {
        if (head !== null) gauge.set({ consumer: consumer.name }, Math.max(0, head - consumer.status().position));
      }
    });
    collectFrom(collectedMetrics.consumerFailing, (gauge) => {
      for (const consumer of consumers) gauge.set({ consumer: consumer.name }, consumer.status().failing ? 1 : 0);
    });
    collectFrom(collectedMetrics.sagaParkedEvents, async (gauge) => gauge.set(await this.parkedSagaEvents.count()));
    collectFrom(collectedMetrics.projectionVersion, (gauge) => {
      for (const part of this.readModels.parts) gauge.set({ projection: part.name }, part.version);
    });
    const rebuilds = (gauge: Gauge, field: 'position' | 'target') => {
      gauge.reset(); // a rebuild that has finished is no longer a series
      for (const rebuild of this.catchUp.rebuilds()) gauge.set({ projection: rebuild.projection }, rebuild[field]);
    };
    collectFrom(collectedMetrics.projectionRebuildPosition, (gauge) => rebuilds(gauge, 'position'));
    collectFrom(collectedMetrics.projectionRebuildTarget, (gauge) => rebuilds(gauge, 'target'));
  }

  async onApplicationBootstrap(): Promise<void> {
    // Never start on a master key that cannot open the key store (a MasterKeyError stops the start).
    await dataKeysOf(this.store)?.check();
    await this.webviewTokens.load();
    this.exportMetrics();
    this.headAtStart = await this.store.headPosition().catch((error: unknown) => {
      // Serve anyway: reads answer from the read models, writes answer 503, /health names the store, and
      // the consumers keep retrying until it is back.
      this.logger.warn(`The event store is unavailable at start-up: ${String(error)}`);
      return null;
    });
    const head = this.headAtStart ?? 0;
    if (this.headAtStart !== null) await this.bindToLog(head);
    markServerRunning(this.config.dataDir);
    this.lifecycle.start(head);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.lifecycle.stop();
    markServerStopped(this.config.dataDir);
    await this.store.close();
    this.readModels.close();
    this.asOfReads.close();
    await this.apiKeyUsage.close();
    await this.parkedSagaEvents.close();
  }
}
