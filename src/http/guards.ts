import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Reflector } from '@nestjs/core';
import { SeamError } from './seam-error.js';
import { ReadModelDatabase } from '../read-models/read-model-database.js';
import { API_KEY_USAGE } from '../common/tokens.js';
import { LRUCache } from 'lru-cache';
import { findApiKey, hashApiKey, type ApiKeyRow, type ApiKeyUsage } from '../workspaces/index.js';
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
 * Who an `Authorization: Bearer seam_…` header names: the key's hash (never the key) looked up in the read
 * models. A key found is remembered for `KEY_REMEMBERED_MS` (at most 10,000 of them, least recently used
 * out), so a busy key costs no query per request; a revocation, once projected, still answers 401 within a
 * second. Unknown keys are never remembered: a stream of made-up keys cannot fill the memory.
 */
@Injectable()
export class ApiKeyAuthenticator {
  private readonly known = new LRUCache<string, ApiKeyRow>({ max: 10_000, ttl: KEY_REMEMBERED_MS });

  constructor(
    @Inject(ReadModelDatabase) private readonly readModels: ReadModelDatabase,
    @Inject(API_KEY_USAGE) private readonly usage: ApiKeyUsage,
  ) {}

  /** The caller, or Seam's 401 (no key, an unknown one or a revoked one). */
  authenticate(authorization: string | undefined): Caller {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match) throw new SeamError(401, 'unauthorized', 'Missing API key: send Authorization: Bearer <api key>');
    const hash = hashApiKey(match[1]);
    let key = this.known.get(hash);
    if (!key) {
      key = findApiKey(this.readModels.db, hash);
      if (!key) throw new SeamError(401, 'unauthorized', 'Invalid API key');
      this.known.set(hash, key);
    }
    this.usage.touch(key.api_key_id);
    return { workspaceId: key.workspace_id, apiKeyId: key.api_key_id, isSandbox: key.is_sandbox === 1 };
  }
}

/**
 * How long a key found stays trusted without asking the read models again: with the projector's lag, a
 * revoked key is refused within a second of its revocation.
 */
const KEY_REMEMBERED_MS = 500;

/**
 * Runs in Fastify's onRequest hook (`authenticateBeforeBody`), so an anonymous caller is refused before its
 * body is read; this guard authenticates whatever that hook did not (and keeps Nest's own tests honest).
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(ApiKeyAuthenticator) private readonly keys: ApiKeyAuthenticator,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.reflector.get<boolean | undefined>(PUBLIC_ROUTE, context.getHandler())) return true;
    const request = context.switchToHttp().getRequest<RequestWithCaller>();
    request.caller ??= this.keys.authenticate(request.headers.authorization);
    return true;
  }
}

/**
 * Fastify's onRequest hook (before the body is read): every route but the public ones and unknown paths
 * needs a key. Refused, the connection closes after the 401, so a caller without a key cannot hold it
 * open by sending its body slowly. While the service catches up at start-up, every route but the health
 * ones answers 503 `catching_up` first (keys issued meanwhile are not known yet). A known key then takes a
 * token from its rate limit (429 beyond it).
 */
export function authenticateBeforeBody(
  keys: ApiKeyAuthenticator,
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
      request.caller = keys.authenticate(request.headers.authorization);
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
