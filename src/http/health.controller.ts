import { accessSync, constants, statfsSync } from 'node:fs';
import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { AppConfig } from '../common/config.js';
import type { CheckpointedConsumer } from '../event-store/checkpointed-consumer.js';
import type { EventStore } from '../event-store/event-store.js';
import { PublicRoute } from './seam-route.js';
import { ParkedSagaEvents } from '../completion/index.js';
import { CatchUp } from '../read-models/catch-up.js';
import { Draining } from './draining.js';
import { COMPLETION_SAGA_CONSUMER, CONFIG, EVENT_STORE, READ_MODELS_PROJECTOR } from '../common/tokens.js';

/** Below this, /health reports the disk as full: SQLite needs room for its WAL and checkpoints. */
const MIN_FREE_BYTES = 16 * 1024 * 1024;

function freeBytes(dir: string): number {
  const { bavail, bsize } = statfsSync(dir);
  return bavail * bsize;
}

/**
 * Liveness at `/health/live`; readiness at `/health/ready` and `/health`: 200 `{"ok": true}` once the service
 * serves, 503 with the reason otherwise: `shutting_down`, `data_dir_unwritable`, `insufficient_storage` (under
 * 16 MiB free), `catching_up` while the read models are behind the head the service started with (it listens
 * at once),
 * `event_store_unavailable` (naming the store), or `consumer_failing` while the projector or the saga keeps
 * failing, with its last error. Cheap: one head lookup and a statfs, no read of the log. Completions the saga
 * parked are counted in `parked_saga_events` (`npm run cli -- saga parked` lists them).
 */
@Controller()
export class HealthController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(READ_MODELS_PROJECTOR) private readonly projector: CheckpointedConsumer,
    @Inject(COMPLETION_SAGA_CONSUMER) private readonly completionSaga: CheckpointedConsumer,
    @Inject(ParkedSagaEvents) private readonly parkedSagaEvents: ParkedSagaEvents,
    @Inject(CatchUp) private readonly catchUp: CatchUp,
    @Inject(Draining) private readonly draining: Draining,
  ) {}

  /** Liveness: the process answers. Nothing else is asked, so a slow store never gets it restarted. */
  @Get('health/live')
  @PublicRoute()
  live() {
    return { ok: true };
  }

  /** Readiness (and `/health`, for compatibility): see the class comment. */
  @Get('health/ready')
  @PublicRoute()
  ready(@Res({ passthrough: true }) reply: FastifyReply) {
    return this.health(reply);
  }

  @Get('health')
  @PublicRoute()
  async health(@Res({ passthrough: true }) reply: FastifyReply) {
    if (this.draining.active) {
      void reply.status(503);
      return { ok: false, error: { type: 'shutting_down', message: 'This instance is shutting down' } };
    }
    try {
      await this.store.headPosition();
    } catch (error) {
      void reply.status(503);
      const store = { eventstoredb: 'EventStoreDB', postgres: 'PostgreSQL', sqlite: 'the SQLite event store' }[
        this.config.eventStore.kind
      ];
      return {
        ok: false,
        error: {
          type: 'event_store_unavailable',
          message: `${store} is unavailable: ${String((error as Error)?.message ?? error)}`,
        },
      };
    }
    try {
      accessSync(this.config.dataDir, constants.W_OK);
    } catch (error) {
      void reply.status(503);
      return {
        ok: false,
        error: { type: 'data_dir_unwritable', message: `${this.config.dataDir} is not writable: ${String(error)}` },
      };
    }
    const free = freeBytes(this.config.dataDir);
    if (free < MIN_FREE_BYTES) {
      void reply.status(503);
      return {
        ok: false,
        error: {
          type: 'insufficient_storage',
          message: `${Math.floor(free / 1024 / 1024)} MiB left on the disk of ${this.config.dataDir}: writes will fail`,
        },
      };
    }
    const catchingUp = this.catchUp.status();
    if (catchingUp) {
      void reply.status(503).header('retry-after', '1');
      return {
        ok: false,
        error: {
          type: 'catching_up',
          message: `Read models at position ${catchingUp.position} of ${catchingUp.target}`,
        },
      };
    }
    const failing = [this.projector.status(), this.completionSaga.status()].filter((status) => status.failing);
    if (failing.length > 0) {
      void reply.status(503);
      return {
        ok: false,
        error: { type: 'consumer_failing', message: failing.map((s) => `${s.name}: ${s.lastError}`).join('; ') },
        consumers: failing,
      };
    }
    // Parked completions do not stop the service, but each is an end user whose account is not done.
    const parked = this.parkedSagaEvents.count();
    return parked > 0 ? { ok: true, parked_saga_events: parked } : { ok: true };
  }
}
