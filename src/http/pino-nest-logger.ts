import type { LoggerService } from '@nestjs/common';
import type { Logger } from 'pino';
import { redactText } from '../common/logging.js';

/** Nest's own log lines (start-up, consumers, webhooks) through the same logger: one format, one redaction. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string) {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, ...rest: unknown[]) {
    const stack = rest.length > 1 && typeof rest[0] === 'string' ? redactText(rest[0]) : undefined;
    this.logger.error({ context: rest.at(-1), stack }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string) {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string) {
    this.logger.trace({ context }, String(message));
  }
}
