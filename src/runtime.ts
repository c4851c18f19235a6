import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { removeDatabaseFiles } from './audit/index.js';
import { POSTGRES_URL, type AppConfig } from './common/config.js';
import { startWorker } from './common/worker-thread.js';
import { COMPLETION_SAGA, CompletionSaga, type CompletionCommands, type ParkedSagaEvents } from './completion/index.js';
import { CheckpointedConsumer, type ConsumerLogger } from './event-store/checkpointed-consumer.js';
import type { EventStore } from './event-store/event-store.js';
import { EventStoreDbEventStore } from './event-store/eventstoredb-event-store.js';
import { PostgresEventStore } from './event-store/postgres-event-store.js';
import { SqliteEventStore } from './event-store/sqlite-event-store.js';
import { EventStoreDecorator } from './event-store/event-store-decorator.js';
import { MeasuredEventStore } from './event-store/measured-event-store.js';
import { UpcastingEventStore } from './event-store/upcasting-event-store.js';
import { UPCASTERS } from './schema-upcasters.js';
import { DataKeys } from './encryption/data-keys.js';
import { PostgresKeyStore, SqliteKeyStore, type KeyStore } from './encryption/key-store.js';
import { SealedEventStore } from './encryption/sealed-event-store.js';
import { READ_MODEL_SCHEMA } from './read-model-schema.js';
import { READ_MODELS_CONSUMER, ReadModelProjector } from './read-models/projector.js';
import { ReadModelDatabase } from './read-models/read-model-database.js';

export const EVENTS_FILE = 'events.db';

type StoreConfig = Pick<AppConfig, 'dataDir' | 'sqliteSynchronous' | 'eventStore' | 'encryption'>;

/**
 * The configured event log, opened (sealed, see src/encryption/) and read in current shapes: what the CLI
 * needs, and the first half of what the server needs.
 */
export function openEventStore(config: StoreConfig): EventStore {
  const measured = new MeasuredEventStore(openRawEventStore(config));
  const keys = config.encryption.enabled ? openDataKeys(config) : undefined;
  return new UpcastingEventStore(keys ? new SealedEventStore(measured, keys) : measured, UPCASTERS);
}

/** The data keys a store opened by `openEventStore` seals with; undefined when encryption is off. */
export function dataKeysOf(store: EventStore): DataKeys | undefined {
  return store instanceof EventStoreDecorator ? store.find(SealedEventStore)?.keys : undefined;
}

/** The configured key store, opened with the configured master key (checked at its first use). */
export function openDataKeys(config: Pick<AppConfig, 'dataDir' | 'encryption'>): DataKeys {
  const { keyStore, masterKey } = config.encryption;
  mkdirSync(config.dataDir, { recursive: true });
  const store =
    keyStore.kind === 'postgres' ? new PostgresKeyStore(keyStore.connectionString) : new SqliteKeyStore(keyStore.path);
  return new DataKeys(store, masterKey);
}

/** The log exactly as stored, every event in the shape it was written in (for copying, not for deciding). */
export function openRawEventStore(config: StoreConfig): EventStore {
  mkdirSync(config.dataDir, { recursive: true });
  if (config.eventStore.kind === 'eventstoredb') {
    return new EventStoreDbEventStore(config.eventStore.connectionString, config.eventStore.deadlineMs);
  }
  if (config.eventStore.kind === 'postgres') {
    const { connectionString, deadlineMs, maxConnections } = config.eventStore;
    return new PostgresEventStore(connectionString, { deadlineMs, maxConnections });
  }
  return new SqliteEventStore(join(config.dataDir, EVENTS_FILE), { synchronous: config.sqliteSynchronous });
}

/**
 * A store named by a copy-events target: a postgres:// URL, an esdb:// connection string, or the path of a
 * SQLite events file.
 */
export function openEventStoreAt(target: string): EventStore {
  if (POSTGRES_URL.test(target)) return new PostgresEventStore(target);
  if (/^[a-z+]+:\/\//.test(target) && !target.startsWith('file://')) return new EventStoreDbEventStore(target);
  const path = target.replace(/^file:\/\//, '');
  mkdirSync(dirname(path), { recursive: true });
  return new SqliteEventStore(path);
}

/**
 * The key store a server on a copy-events target would open by default: the target database's table, or
 * `keys.db` beside a SQLite target. None for EventStoreDB: its servers keep theirs in DATA_DIR (or at
 * KEY_STORE_URL), where the source's already is.
 */
export function keyStoreAt(target: string): KeyStore | undefined {
  if (POSTGRES_URL.test(target)) return new PostgresKeyStore(target);
  if (/^[a-z+]+:\/\//.test(target) && !target.startsWith('file://')) return undefined;
  return new SqliteKeyStore(join(dirname(target.replace(/^file:\/\//, '')), 'keys.db'));
}

/** Read models at `path`, fed from `store` by a checkpointed consumer (not yet started). */
export function openReadModels(store: EventStore, path: string, logger: ConsumerLogger) {
  const readModels = new ReadModelDatabase(path, READ_MODEL_SCHEMA);
  return { readModels, projector: openProjector(store, readModels, logger) };
}

/** The checkpointed consumer that feeds `readModels` from `store` (not yet started). */
export function openProjector(store: EventStore, readModels: ReadModelDatabase, logger: ConsumerLogger) {
  return new CheckpointedConsumer(READ_MODELS_CONSUMER, store, new ReadModelProjector(readModels), logger);
}

/** The completion saga as a checkpointed consumer (not yet started); its checkpoint lives beside the read models'. */
export function openCompletionSaga(
  commands: CompletionCommands,
  checkpoints: ReadModelDatabase,
  parked: ParkedSagaEvents,
  logger: ConsumerLogger,
): CheckpointedConsumer {
  const saga = new CompletionSaga(commands, checkpoints, parked);
  return new CheckpointedConsumer(COMPLETION_SAGA, commands.states.store, saga, logger);
}

/** Builds read models from position 0 into a fresh file: the proof that the log alone is enough. */
export async function rebuildReadModels(
  store: EventStore,
  path: string,
  logger: ConsumerLogger,
): Promise<ReadModelDatabase> {
  const { readModels, projector } = openReadModels(store, path, logger);
  const head = await store.headPosition();
  projector.start();
  await projector.waitForPosition(head, 600_000);
  await projector.stop();
  return readModels;
}

export interface RebuildRequest {
  config: StoreConfig;
  /** The projections to build, each into the new, empty file named. */
  parts: { name: string; path: string }[];
}

/**
 * A small young generation for the rebuild's thread: it churns through short-lived objects by the million,
 * which V8's default lets fill the heap far beyond what is live (the CLI's replay runs with the same, see
 * cli.ts). The event loop meanwhile stays free to answer.
 */
const REBUILD_YOUNG_GENERATION_MB = 6;

/**
 * Builds projections from the log, each into the new file named, on worker threads (rebuild-worker.ts): a
 * projection that declares `rebuildsOnItsOwnThread` (the public events, half of a replay's time) gets one of
 * its own, and the others share one. Each thread reads the log itself. Resolves with the number of events
 * once every file is complete and durable. An abort, or one thread's failure, stops them all and removes
 * the partial files.
 */
export async function rebuildProjectionsInWorker(
  config: StoreConfig,
  parts: RebuildRequest['parts'],
  { onProgress, signal }: { onProgress: (position: number) => void; signal: AbortSignal },
): Promise<number> {
  const ownThread = new Set(
    READ_MODEL_SCHEMA.projections.filter((p) => p.rebuildsOnItsOwnThread).map((projection) => projection.name),
  );
  const shared = parts.filter((part) => !ownThread.has(part.name));
  const groups = [...parts.filter((part) => ownThread.has(part.name)).map((part) => [part]), shared].filter(
    (group) => group.length > 0,
  );
  const positions = groups.map(() => 0);
  const stopAll = new AbortController();
  const abort = () => stopAll.abort(signal.reason);
  signal.addEventListener('abort', abort, { once: true });
  try {
    // Every thread settles (and removes its partial files) before this does: a stop must not leave one behind.
    const results = await Promise.allSettled(
      groups.map((group, index) =>
        rebuildOnOneThread(config, group, {
          signal: stopAll.signal,
          onProgress: (position) => {
            positions[index] = position;
            onProgress(Math.min(...positions));
          },
        }).catch((error: unknown) => {
          stopAll.abort(error);
          throw error;
        }),
      ),
    );
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    return Math.max(...results.map((result) => (result as PromiseFulfilledResult<number>).value));
  } finally {
    signal.removeEventListener('abort', abort);
  }
}

function rebuildOnOneThread(
  config: StoreConfig,
  parts: RebuildRequest['parts'],
  { onProgress, signal }: { onProgress: (position: number) => void; signal: AbortSignal },
): Promise<number> {
  // What the thread needs to open the store, and nothing else of the configuration.
  const { dataDir, sqliteSynchronous, eventStore, encryption } = config;
  const request: RebuildRequest = { config: { dataDir, sqliteSynchronous, eventStore, encryption }, parts };
  const worker = startWorker(new URL('./rebuild-worker.js', import.meta.url), request, {
    resourceLimits: { maxYoungGenerationSizeMb: REBUILD_YOUNG_GENERATION_MB },
  });
  return new Promise<number>((resolve, reject) => {
    let events: number | undefined;
    const stop = () => void worker.terminate();
    if (signal.aborted) stop();
    signal.addEventListener('abort', stop, { once: true });
    worker.on('message', (message: { position: number } | { events: number }) => {
      if ('events' in message) events = message.events;
      else onProgress(message.position);
    });
    worker.on('error', reject);
    worker.on('exit', (code) => {
      signal.removeEventListener('abort', stop);
      if (events !== undefined && code === 0) return resolve(events);
      for (const { path } of parts) removeDatabaseFiles(path);
      reject(signal.aborted ? signal.reason : new Error(`the rebuild's thread exited (${code})`));
    });
  });
}
