import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { CheckpointedConsumer } from '../event-store/checkpointed-consumer.js';
import { PublicRoute } from '../http/seam-route.js';
import { READ_MODELS_PROJECTOR } from '../tokens.js';

/**
 * 200 `{"ok": true}` once the service serves (the HTTP server only listens after the read models caught
 * up); 503 while the projector keeps failing, with its last error, so an operator sees why.
 */
@Controller()
export class HealthController {
  constructor(@Inject(READ_MODELS_PROJECTOR) private readonly projector: CheckpointedConsumer) {}

  @Get('health')
  @PublicRoute()
  health(@Res({ passthrough: true }) reply: FastifyReply) {
    const projector = this.projector.status();
    if (projector.failing) {
      void reply.status(503);
      return { ok: false, error: { type: 'read_models_failing', message: projector.lastError }, consumers: [projector] };
    }
    return { ok: true };
  }
}
