import { accessSync, constants, statfsSync } from 'node:fs';
import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { AppConfig } from '../common/config.js';
import type { CheckpointedConsumer } from '../event-store/checkpointed-consumer.js';
import type { EventStore } from '../event-store/event-store.js';
import { PublicRoute } from './seam-route.js';
import { ParkedSagaEvents } from '../completion/index.js';
import { CatchUp } from '../read-models/catch-up.js';
import { ReadModelDatabase } from '../read-models/read-model-database.js';
import { Draining } from './draining.js';
import { COMPLETION_SAGA_CONSUMER, CONFIG, EVENT_STORE, READ_MODELS_PROJECTOR } from '../common/tokens.js';

/** Below this, /health reports the disk as full: SQLite needs room for its WAL and checkpoints. */
const MIN_FREE_BYTES = 16 * 1024 * 1024;

function freeBytes(dir: string): number {
  const { bavail, bsize } = statfsSync(dir);
  return bavail * bsize;
}

/** A readiness problem: its reason code, and the detail that only the metrics port shows. */
export interface HealthProblem {
  type:
    | 'shutting_down'
    | 'event_store_unavailable'
    | 'data_dir_unwritable'
    | 'insufficient_storage'
    | 'catching_up'
    | 'consumer_failing';
  detail: string;
  retryAfter?: string;
  consumers?: unknown[];
}

/**
 * What an unauthenticated caller of the API's port is told of each reason: no path, no raw store error, no
 * log position (which would count every tenant's events). The detail is on the metrics port's `/health`.
 */
const PUBLIC_MESSAGES: Record<HealthProblem['type'], string> = {
  shutting_down: 'This instance is shutting down',
  event_store_unavailable: 'The event store is unavailable',
  data_dir_unwritable: 'The data directory is not writable',
  insufficient_storage: 'The data directory has no room left: writes would fail',
  catching_up: 'The read models are catching up with the log',
  consumer_failing: 'A consumer of the log keeps failing',
};

/**
 * Liveness at `/health/live`; readiness at `/health/ready` and `/health`: 200 `{"ok": true}` once the service
 * serves, 503 with the reason code otherwise: `shutting_down`, `data_dir_unwritable`, `insufficient_storage`
 * (under 16 MiB free), `catching_up` while the read models are behind the head the service started with (it
 * listens at once), `event_store_unavailable`, or `consumer_failing` while the projector or the saga keeps
 * failing. Cheap: one head lookup and a statfs, no read of the log. The API's port says only the reason;
 * `detailed()` (the metrics port's `/health`) adds the store, the path, the last error, the count of
 * completions the saga parked, and each projection's live version and position with the rebuilds under way.
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
    @Inject(ReadModelDatabase) private readonly readModels: ReadModelDatabase,
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
    const problem = await this.problem();
    if (!problem) return { ok: true };
    void reply.status(503);
    if (problem.retryAfter) void reply.header('retry-after', problem.retryAfter);
    return { ok: false, error: { type: problem.type, message: PUBLIC_MESSAGES[problem.type] } };
  }

  /** Readiness with its detail, for the operator (the metrics port): status code and body. */
  async detailed(): Promise<{ status: number; body: Record<string, unknown> }> {
    const problem = await this.problem();
    const parked = await this.parkedSagaEvents.count().catch(() => null); // the store shows in the problem
    const readModels = this.readModelsDetail();
    if (!problem) return { status: 200, body: { ok: true, parked_saga_events: parked, read_models: readModels } };
    const { type, detail, consumers } = problem;
    return {
      status: 503,
      body: {
        ok: false,
        error: { type, message: detail },
        parked_saga_events: parked,
        read_models: readModels,
        ...(consumers ? { consumers } : {}),
      },
    };
  }

  /** Each projection's live version and checkpoint, and the rebuilds under way with their progress. */
  private readModelsDetail() {
    return {
      projections: this.readModels.parts.map((part) => ({
        name: part.name,
        version: part.version,
        build_version: part.projection.version,
        position: part.checkpoint(),
      })),
      rebuilding: this.catchUp.rebuilds(),
    };
  }

  private async problem(): Promise<HealthProblem | undefined> {
    if (this.draining.active) return { type: 'shutting_down', detail: PUBLIC_MESSAGES.shutting_down };
    try {
      await this.store.headPosition();
    } catch (error) {
      const store = { eventstoredb: 'EventStoreDB', postgres: 'PostgreSQL', sqlite: 'the SQLite event store' }[
        this.config.eventStore.kind
      ];
      return {
        type: 'event_store_unavailable',
        detail: `${store} is unavailable: ${String((error as Error)?.message ?? error)}`,
      };
    }
    try {
      accessSync(this.config.dataDir, constants.W_OK);
    } catch (error) {
      return { type: 'data_dir_unwritable', detail: `${this.config.dataDir} is not writable: ${String(error)}` };
    }
    const free = freeBytes(this.config.dataDir);
    if (free < MIN_FREE_BYTES) {
      return {
        type: 'insufficient_storage',
        detail: `${Math.floor(free / 1024 / 1024)} MiB left on the disk of ${this.config.dataDir}: writes will fail`,
      };
    }
    const catchingUp = this.catchUp.status();
    if (catchingUp) {
      return {
        type: 'catching_up',
        detail: `Read models at position ${catchingUp.position} of ${catchingUp.target}`,
        retryAfter: '1',
      };
    }
    const failing = [this.projector.status(), this.completionSaga.status()].filter((status) => status.failing);
    if (failing.length > 0) {
      return {
        type: 'consumer_failing',
        detail: failing.map((s) => `${s.name}: ${s.lastError}`).join('; '),
        consumers: failing,
      };
    }
    return undefined;
  }
}
