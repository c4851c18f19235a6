import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { CheckpointedConsumer } from '../event-store/checkpointed-consumer.js';
import { PublicRoute } from '../http/seam-route.js';
import { COMPLETION_SAGA_CONSUMER, READ_MODELS_PROJECTOR } from '../tokens.js';

/**
 * 200 `{"ok": true}` once the service serves (the HTTP server only listens after the read models caught
 * up); 503 while a consumer (projector, completion saga) keeps failing, with its last error, so an operator
 * sees why.
 */
@Controller()
export class HealthController {
  constructor(
    @Inject(READ_MODELS_PROJECTOR) private readonly projector: CheckpointedConsumer,
    @Inject(COMPLETION_SAGA_CONSUMER) private readonly completionSaga: CheckpointedConsumer,
  ) {}

  @Get('health')
  @PublicRoute()
  health(@Res({ passthrough: true }) reply: FastifyReply) {
    const failing = [this.projector.status(), this.completionSaga.status()].filter((status) => status.failing);
    if (failing.length > 0) {
      void reply.status(503);
      return {
        ok: false,
        error: { type: 'consumer_failing', message: failing.map((s) => `${s.name}: ${s.lastError}`).join('; ') },
        consumers: failing,
      };
    }
    return { ok: true };
  }
}
