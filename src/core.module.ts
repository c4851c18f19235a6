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
import { collectedMetrics, collectFrom } from './common/metrics.js';
import type { CheckpointedConsumer } from './event-store/checkpointed-consumer.js';
import type { EventStore } from './event-store/event-store.js';
import { ReadModelDatabase, READ_MODELS_CONSUMER } from './read-models/read-model-database.js';
import { ReadYourWrites } from './read-models/read-your-writes.js';
import { AsOfReads } from './read-models/as-of.js';
import {
  liveReadModelsPath,
  markServerRunning,
  markServerStopped,
  newReplayPath,
  promoteReadModels,
  removeDatabaseFiles,
  reportSwap,
  SWAP_SIGNAL,
  takeSwapRequest,
} from './audit/index.js';
import { READ_MODEL_SCHEMA, REPLAY_SETUP } from './read-model-schema.js';
import { dataKeysOf, openCompletionSaga, openEventStore, openProjector, rebuildReadModelsInWorker } from './runtime.js';
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

  /** `replay --swap` signals a running server (SWAP_SIGNAL) once it has written its request. */
  private readonly onSwapSignal = () => void this.swapIfRequested();

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
    // The server listens at once; until the read models reach the head it had at start, every route
    // answers 503 `catching_up` (see CatchUp).
    this.catchUp.until(head);
    const empty = head > 0 && this.readModels.checkpoint(READ_MODELS_CONSUMER) === 0;
    if (empty) this.rebuilding = this.rebuildAtStart();
    void this.rebuilding.then(() => this.catchUpAtStart(head));
    process.on(SWAP_SIGNAL, this.onSwapSignal);
  }

  /** A rebuild at start, which a shutdown aborts (between two batches) and waits for. */
  private rebuilding: Promise<void> = Promise.resolve();
  private readonly startUpAborted = new AbortController();

  /**
   * Empty read models (a new data directory, a schema change, read models from another log) are rebuilt
   * the way `replay --swap` does: into a fresh file loaded the fast way, on a thread of its own, then made
   * live (BENCHMARKS.md: 2.5 times as fast as the projector's catch-up of the live file, at 1,000,000
   * events). Should that fail, the projector catches up instead.
   */
  private async rebuildAtStart(): Promise<void> {
    this.swapping = true; // a swap requested meanwhile waits for the rebuild
    this.logger.log('Rebuilding the read models from the log into a fresh file');
    const path = newReplayPath(this.config.dataDir);
    this.catchUp.rebuilding(0);
    try {
      const events = await rebuildReadModelsInWorker(this.config, path, {
        onProgress: (position) => this.catchUp.rebuilding(position),
        signal: this.startUpAborted.signal,
      });
      await this.makeLive(path).catch((error: unknown) => {
        removeDatabaseFiles(path);
        throw error;
      });
      this.logger.log(`Read models rebuilt from ${events} events: now serving from ${this.readModels.path}`);
    } catch (error) {
      if (this.startUpAborted.signal.aborted) return;
      this.logger.error(`Rebuilding the read models failed, catching up instead: ${String(error)}`);
    } finally {
      this.catchUp.rebuilding(null);
      this.swapping = false;
      void this.swapIfRequested(); // one asked for during the rebuild
    }
  }

  private async catchUpAtStart(head: number): Promise<void> {
    if (this.startUpAborted.signal.aborted) return;
    this.projector.start();
    if (head > 0) this.logger.log(`Catching up read models to position ${head}`);
    return this.projector.waitForPosition(head, 24 * 60 * 60 * 1000).then(
      () => {
        if (head > 0) this.logger.log(`Read models caught up with position ${head}`);
        // Completions that a crash interrupted are finished now, from the saga's checkpoint.
        if (!this.startUpAborted.signal.aborted) this.completionSaga.start();
      },
      (error: unknown) => this.logger.error(`Read models did not catch up: ${String(error)}`),
    );
  }

  /**
   * `replay --swap` while serving: the consumers pause, the rebuilt read models catch up with the log and
   * replace the live ones, the consumers resume from the new checkpoint. Reads are served from the old
   * database until the switch; writes made meanwhile are in the log, so none is lost.
   */
  private swapping = false;
  private async swapIfRequested(): Promise<void> {
    if (this.swapping) return;
    const file = takeSwapRequest(this.config.dataDir);
    if (!file) return;
    this.swapping = true;
    await this.completionSaga.stop();
    await this.projector.stop();
    try {
      await this.makeLive(join(this.config.dataDir, file));
      this.logger.log(`Read models swapped: now serving from ${file}`);
      reportSwap(this.config.dataDir, { file, ok: true });
    } catch (error) {
      this.logger.error(`Read model swap to ${file} failed: ${String(error)}`);
      reportSwap(this.config.dataDir, { file, ok: false, error: String(error) });
    } finally {
      this.projector.start();
      this.completionSaga.start();
      this.swapping = false;
      void this.swapIfRequested(); // one asked for during this one
    }
  }

  /** Read models rebuilt in the file at `path` replace the live ones (see promoteReadModels). */
  private makeLive(path: string): Promise<void> {
    const rebuilt = new ReadModelDatabase(path, READ_MODEL_SCHEMA);
    return promoteReadModels(
      this.store,
      this.config.dataDir,
      this.readModels,
      rebuilt,
      REPLAY_SETUP.carriedCheckpoints,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    process.off(SWAP_SIGNAL, this.onSwapSignal);
    this.startUpAborted.abort();
    await this.rebuilding;
    markServerStopped(this.config.dataDir);
    await this.completionSaga.stop();
    await this.projector.stop();
    await this.store.close();
    this.readModels.close();
    this.asOfReads.close();
    await this.apiKeyUsage.close();
    await this.parkedSagaEvents.close();
  }
}
