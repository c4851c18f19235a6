import { HttpException, Logger } from '@nestjs/common';
import { DataErasedError } from '../encryption/data-keys.js';
import {
  DomainError,
  HistoryNotReady,
  IdempotencyKeyReused,
  InvalidCommand,
  LoginLocked,
  NotFound,
  SandboxOnly,
} from '../common/domain-errors.js';
import { invalidInput, SeamError } from './seam-error.js';
import { CustomMetadataRevisionMismatch } from '../custom-metadata/metadata-set.js';
import { isDiskFull } from '../common/sqlite.js';
import { ConsumerTimeoutError } from '../event-store/checkpointed-consumer.js';
import { PositionPastHeadError } from '../read-models/read-your-writes.js';
import { EventStoreUnavailableError } from '../event-store/event-store.js';

const logger = new Logger('HTTP');

const TYPE_BY_STATUS: Record<number, string> = {
  400: 'invalid_input',
  401: 'unauthorized',
  403: 'forbidden',
  // Nest's 404 is a route that does not exist: Seam's `endpoint_not_found`.
  404: 'endpoint_not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'invalid_content_type',
};

/** A domain refusal as the Seam error it is on the wire: the one place that gives each its status. */
export function toSeamError(error: DomainError): SeamError {
  if (error instanceof InvalidCommand) return invalidInput(error.issues);
  if (error instanceof LoginLocked) {
    const locked = new SeamError(429, error.code, error.message, error.details);
    const seconds = Math.max(1, Math.ceil((Date.parse(error.until) - Date.now()) / 1000));
    locked.headers = { 'retry-after': String(seconds) };
    return locked;
  }
  const status =
    error instanceof NotFound
      ? 404
      : error instanceof SandboxOnly
        ? 403
        : error instanceof IdempotencyKeyReused
          ? 422
          : error instanceof CustomMetadataRevisionMismatch
            ? 409
            : error instanceof HistoryNotReady
              ? 503
              : 400;
  return new SeamError(
    status,
    error.code,
    error.message,
    Object.keys(error.details).length > 0 ? error.details : undefined,
  );
}

/** Any error, as Seam's envelope. The one place that decides what a failure looks like on the wire. */
export function toErrorResponse(thrown: unknown): {
  status: number;
  body: Record<string, unknown>;
  headers?: Readonly<Record<string, string>>;
} {
  const error = thrown instanceof DomainError ? toSeamError(thrown) : thrown;
  if (error instanceof SeamError) {
    return {
      status: error.status,
      headers: error.headers,
      body: {
        error: {
          type: error.type,
          message: error.message,
          ...(error.data ? { data: error.data } : {}),
          ...(error.validationErrors ? { validation_errors: error.validationErrors } : {}),
        },
        ok: false,
      },
    };
  }
  if (error instanceof PositionPastHeadError) {
    // Never the head itself: it counts every tenant's events.
    return envelope(
      400,
      'invalid_input',
      'The seam-log-position is past the head of this log: a position from another log, or not one given by it',
    );
  }
  if (error instanceof ConsumerTimeoutError) {
    logger.error(error.message);
    return envelope(
      503,
      'read_model_unavailable',
      'The write was stored but is not yet readable; read it again shortly',
    );
  }
  if (isDiskFull(error)) {
    logger.error(`A write failed, the disk is full: ${(error as Error).message}`);
    return envelope(507, 'insufficient_storage', "The server's disk is full: nothing was stored; try again later");
  }
  if (error instanceof EventStoreUnavailableError) {
    return envelope(503, 'event_store_unavailable', error.message);
  }
  if (error instanceof DataErasedError) {
    // Written to a resource whose data was erased (its key destroyed): to the caller, it is gone.
    return envelope(404, 'resource_erased', 'This resource was deleted, and its data erased');
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const message = status === 404 ? 'Endpoint not found' : error.message;
    return envelope(status, TYPE_BY_STATUS[status] ?? 'http_error', message);
  }
  const status = (error as { statusCode?: unknown })?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // Fastify's own refusals (body too large, malformed request) carry a status code.
    return envelope(status, TYPE_BY_STATUS[status] ?? 'invalid_input', (error as Error).message);
  }
  logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  return envelope(500, 'internal_server_error', 'Internal server error');
}

function envelope(status: number, type: string, message: string) {
  return { status, body: { error: { type, message }, ok: false } };
}
