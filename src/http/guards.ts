import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Reflector } from '@nestjs/core';
import { SeamError } from './seam-error.js';
import { ReadModelDatabase } from '../read-models/read-model-database.js';
import { API_KEY_USAGE } from '../common/tokens.js';
import { findApiKey, hashApiKey, type ApiKeyUsage } from '../workspaces/index.js';
import type { FastifyReply } from 'fastify';
import type { Caller, RequestWithCaller } from './caller.js';
import type { RateLimiter } from './rate-limit.js';
import type { CatchUp } from '../read-models/catch-up.js';
import { ALLOWED_METHODS, PUBLIC_ROUTE, WRITES_TO_LOG, type HttpMethod } from './seam-route.js';
import type { RequestWithBodyBytes } from './fastify-setup.js';

/** 405 for a method the route does not take (with a valid key; without one, 401 comes first). */
@Injectable()
export class MethodGuard implements CanActivate {
  constructor(@Inject(Reflector) private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const allowed = this.reflector.get<HttpMethod[] | undefined>(ALLOWED_METHODS, context.getHandler());
    const method = context.switchToHttp().getRequest<RequestWithCaller>().method;
    if (allowed && !allowed.includes(method as HttpMethod)) {
      throw new SeamError(405, 'method_not_allowed', `Method ${method} is not allowed; use ${allowed.join(' or ')}`);
    }
    return true;
  }
}

/**
 * `Authorization: Bearer seam_…`: the key's hash is looked up in the read model, never the key itself. Runs
 * in Fastify's onRequest hook (`authenticateBeforeBody`), so an anonymous caller is refused before its body
 * is read; this guard authenticates whatever that hook did not (and keeps Nest's own tests honest).
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(ReadModelDatabase) private readonly readModels: ReadModelDatabase,
    @Inject(API_KEY_USAGE) private readonly usage: ApiKeyUsage,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.reflector.get<boolean | undefined>(PUBLIC_ROUTE, context.getHandler())) return true;
    const request = context.switchToHttp().getRequest<RequestWithCaller>();
    request.caller ??= authenticate(this.readModels, this.usage, request.headers.authorization);
    return true;
  }
}

/** The caller an `Authorization` header names, or Seam's 401 (unknown or revoked key). */
export function authenticate(
  readModels: ReadModelDatabase,
  usage: ApiKeyUsage,
  authorization: string | undefined,
): Caller {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match) throw new SeamError(401, 'unauthorized', 'Missing API key: send Authorization: Bearer <api key>');
  const key = findApiKey(readModels.db, hashApiKey(match[1]));
  if (!key) throw new SeamError(401, 'unauthorized', 'Invalid API key');
  usage.touch(key.api_key_id);
  return { workspaceId: key.workspace_id, apiKeyId: key.api_key_id, isSandbox: key.is_sandbox === 1 };
}

/**
 * Fastify's onRequest hook (before the body is read): every route but the public ones and unknown paths
 * needs a key. Refused, the connection closes after the 401, so a caller without a key cannot hold it
 * open by sending its body slowly. While the service catches up at start-up, every route but the health
 * ones answers 503 `catching_up` first (keys issued meanwhile are not known yet). A known key then takes a
 * token from its rate limit (429 beyond it).
 */
export function authenticateBeforeBody(
  readModels: ReadModelDatabase,
  usage: ApiKeyUsage,
  limits: { perKey: RateLimiter; perAddress: RateLimiter },
  catchUp: CatchUp,
) {
  return async (request: RequestWithCaller, reply: FastifyReply): Promise<void> => {
    if (request.is404 || request.routeOptions.url?.startsWith('/health')) return;
    const catchingUp = catchUp.status();
    if (catchingUp) {
      // No positions: they count every tenant's events (the metrics port's /health has them).
      const error = new SeamError(503, 'catching_up', 'The service is starting: its read models are catching up');
      error.headers = { 'retry-after': '1' };
      throw error;
    }
    if ((request.routeOptions.config as unknown as Record<string, unknown>)[PUBLIC_ROUTE]) {
      limits.perAddress.take(clientNetwork(request.ip));
      return;
    }
    try {
      request.caller = authenticate(readModels, usage, request.headers.authorization);
    } catch (error) {
      void reply.header('connection', 'close');
      throw error;
    }
    limits.perKey.take(request.caller.apiKeyId);
  };
}

/**
 * Fastify's preHandler hook (the body is read): a write route's body counts against its workspace's
 * LOG_BYTES_PER_MINUTE_PER_WORKSPACE, a token bucket of that many bytes refilled over a minute. Past it, 429
 * `rate_limited` with Retry-After, before anything is appended. What a write appends is its body's content
 * plus a bounded envelope of ids and times, so the body is the measure of what a tenant adds to the disk.
 */
export function chargeLogBytes(perWorkspace: RateLimiter) {
  return async (request: RequestWithCaller & RequestWithBodyBytes): Promise<void> => {
    if (!request.caller) return;
    if (!(request.routeOptions.config as unknown as Record<string, unknown>)[WRITES_TO_LOG]) return;
    perWorkspace.take(request.caller.workspaceId, Date.now(), Math.max(1, request.bodyBytes ?? 0));
  };
}

/**
 * What the per-address limit counts: an IPv4 address, or an IPv6 address's /64, since one host is handed a
 * whole /64 and could otherwise pick a new address for every request.
 */
export function clientNetwork(address: string): string {
  if (isIP(address) !== 6) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1];
  const groups = ipaddr.IPv6.parse(address).parts.slice(0, 4);
  return `${groups.map((group) => group.toString(16)).join(':')}::/64`;
}
