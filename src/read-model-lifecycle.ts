import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import type { AppConfig } from './common/config.js';
import type { CheckpointedConsumer } from './event-store/checkpointed-consumer.js';
import type { EventStore } from './event-store/event-store.js';
import { promoteReadModels, replayInto, reportSwap, SWAP_SIGNAL, takeSwapRequest } from './audit/index.js';
import { REPLAY_SETUP, READ_MODEL_SCHEMA } from './read-model-schema.js';
import { rebuildProjectionsInWorker } from './runtime.js';
import type { CatchUp } from './read-models/catch-up.js';
import { ProjectionDatabase, ReadModelDatabase, rulesOf } from './read-models/read-model-database.js';

/**
 * What the read models do from start to stop: catch up with the log; rebuild, on a thread of their own, the
 * projections that need it (a new version, a new projection, a new data directory), beside the live files,
 * and swap each in when it reaches the head; take `replay --swap`'s rebuilt set live when signalled; stop
 * in order.
 *
 * An upgrade costs no downtime: a projection whose live file holds an older version this build can read
 * (`Projection.readableFrom`) keeps serving it, fed by new writes, while the new version is rebuilt. Only a
 * projection with nothing to serve (a new one, or a version too old to read) makes the service catch up,
 * answering 503 `catching_up` meanwhile, as a first start does.
 */
export class ReadModelLifecycle {
  private readonly logger = new Logger('ReadModels');
  private readonly stopping = new AbortController();
  /** Settles once the projections rebuilt at start are live (or given up). */
  private rebuilding: Promise<void> = Promise.resolve();
  /** While a rebuild or a swap runs, a swap requested meanwhile waits for it. */
  private swapping = false;
  private readonly onSwapSignal = () => void this.swapIfRequested();

  constructor(
    private readonly config: AppConfig,
    private readonly store: EventStore,
    private readonly readModels: ReadModelDatabase,
    private readonly projector: CheckpointedConsumer,
    private readonly completionSaga: CheckpointedConsumer,
    private readonly catchUp: CatchUp,
  ) {}

  /**
   * From the log's head at start: the service listens at once, and until the read models reach it every
   * route answers 503 `catching_up` (see CatchUp), except for an upgrade, which serves the older version.
   */
  start(head: number): void {
    this.catchUp.until(head);
    const rebuilt = head > 0 ? this.readModels.parts.filter((part) => part.checkpoint() === 0 || part.isOutdated) : [];
    const unserved = rebuilt.some((part) => part.checkpoint() === 0);
    if (rebuilt.length > 0) {
      this.swapping = true;
      this.rebuilding = this.rebuild(rebuilt, head, { unserved });
    }
    // With nothing to serve, the projector would only redo the rebuild's work on this thread: it waits.
    if (unserved) void this.rebuilding.then(() => this.catchUpAtStart(head));
    else void this.catchUpAtStart(head);
    process.on(SWAP_SIGNAL, this.onSwapSignal);
  }

  async stop(): Promise<void> {
    process.off(SWAP_SIGNAL, this.onSwapSignal);
    this.stopping.abort();
    await this.rebuilding;
    await this.completionSaga.stop();
    await this.projector.stop();
  }

  /**
   * `parts`' projections rebuilt from the log into new files, loaded the fast way on a thread of their own
   * (BENCHMARKS.md: 2.5 times as fast as the projector's catch-up of a live file, at 1,000,000 events), then
   * caught up and swapped in. Should that fail, the live files stay: an outdated one keeps serving, and an
   * empty one is caught up by the projector.
   */
  private async rebuild(
    parts: readonly ProjectionDatabase[],
    head: number,
    { unserved }: { unserved: boolean },
  ): Promise<void> {
    const built = parts.map((part) => ({ live: part, path: this.readModels.newPartPath(part.projection) }));
    const names = parts.map((part) => part.name).join(', ');
    const report = (position: number | null) => {
      for (const { live } of built) {
        this.catchUp.rebuild(
          live.name,
          position === null
            ? null
            : {
                projection: live.name,
                from_version: live.checkpoint() === 0 ? null : live.version,
                to_version: live.projection.version,
                position,
                target: head,
                serving_older_version: !unserved,
              },
        );
      }
    };
    this.logger.log(`Rebuilding ${names} from the log beside the live read models`);
    report(0);
    try {
      const events = await rebuildProjectionsInWorker(
        this.config,
        built.map(({ live, path }) => ({ name: live.name, path })),
        { onProgress: report, signal: this.stopping.signal },
      );
      const rules = rulesOf(READ_MODEL_SCHEMA);
      await this.swapIn(built.map(({ live, path }) => new ProjectionDatabase(path, live.projection, rules)));
      this.logger.log(`Rebuilt ${names} from ${events} events: now live`);
    } catch (error) {
      if (this.stopping.signal.aborted) return;
      this.logger.error(`Rebuilding ${names} failed; the live files stay: ${String(error)}`);
    } finally {
      report(null);
      this.swapping = false;
      void this.swapIfRequested(); // one asked for during the rebuild
    }
  }

  /**
   * Rebuilt files caught up with the log and made live. The projector pauses meanwhile, so nothing moves
   * the live files on past what the rebuilt ones have; reads go on from the live files until the swap.
   */
  private async swapIn(rebuilt: ProjectionDatabase[]): Promise<void> {
    const running = this.projector.isRunning;
    if (running) await this.projector.stop();
    try {
      await replayInto(this.store, { parts: rebuilt }, await this.store.headPosition());
      for (const part of rebuilt) this.readModels.replacePart(part);
    } catch (error) {
      for (const part of rebuilt) part.close();
      throw error;
    } finally {
      if (running && !this.stopping.signal.aborted) this.projector.start();
    }
  }

  private async catchUpAtStart(head: number): Promise<void> {
    if (this.stopping.signal.aborted) return;
    this.projector.start();
    if (head > 0) this.logger.log(`Catching up read models to position ${head}`);
    return this.projector.waitForPosition(head, 24 * 60 * 60 * 1000).then(
      () => {
        if (head > 0) this.logger.log(`Read models caught up with position ${head}`);
        // Completions that a crash interrupted are finished now, from the saga's checkpoint.
        if (!this.stopping.signal.aborted) this.completionSaga.start();
      },
      (error: unknown) => this.logger.error(`Read models did not catch up: ${String(error)}`),
    );
  }

  /**
   * `replay --swap` while serving: the consumers pause, the rebuilt read models catch up with the log and
   * replace the live ones, the consumers resume from the new checkpoints. Reads are served from the old
   * files until the switch; writes made meanwhile are in the log, so none is lost.
   */
  private async swapIfRequested(): Promise<void> {
    if (this.swapping) return;
    const file = takeSwapRequest(this.config.dataDir);
    if (!file) return;
    this.swapping = true;
    await this.completionSaga.stop();
    await this.projector.stop();
    try {
      const rebuilt = new ReadModelDatabase(join(this.config.dataDir, file), READ_MODEL_SCHEMA);
      await promoteReadModels(
        this.store,
        this.config.dataDir,
        this.readModels,
        rebuilt,
        REPLAY_SETUP.carriedCheckpoints,
      );
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
}
