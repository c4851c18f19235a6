import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { stringify } from 'safe-stable-stringify';
import type { IdempotentCreate } from '../event-store/idempotency-key.js';
import type { RequestWithCaller } from './caller.js';
import { SeamError } from './seam-error.js';

const MAX_KEY_LENGTH = 255;

/**
 * The `Idempotency-Key` header of a create route, with the hash of its request (the route and the body, its
 * keys in any order), or undefined without one. The key is checked here; the log does the rest: the resource's
 * id is derived from the key and its `…Created` event records the hash (event-store/idempotency-key.ts).
 */
export const IdempotencyKey = createParamDecorator(
  (_: unknown, context: ExecutionContext): IdempotentCreate | undefined => {
    const request = context.switchToHttp().getRequest<RequestWithCaller>();
    const key = request.headers['idempotency-key'];
    if (key === undefined) return undefined;
    if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
      throw new SeamError(400, 'invalid_input', `Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} characters`);
    }
    const requestHash = createHash('sha256')
      .update(`${request.method} ${request.routeOptions.url} ${stringify(request.body ?? {})}`)
      .digest('hex');
    return { key, requestHash };
  },
);

/** A retry's answer says so, as Stripe's do: `Idempotent-Replayed: true`. */
export function markReplayed(reply: FastifyReply, replayed: boolean): void {
  if (replayed) void reply.header('idempotent-replayed', 'true');
}
