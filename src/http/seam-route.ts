import { All, applyDecorators, SetMetadata } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export const ALLOWED_METHODS = 'seam:allowed-methods';
export const PUBLIC_ROUTE = 'seam:public-route';
export const WRITES_TO_LOG = 'seam:writes-to-log';

/**
 * A Seam route: every method reaches the handler, so that a method the route does not take answers
 * Seam's 405 `method_not_allowed` (MethodGuard) rather than a 404.
 */
export function SeamRoute(path: string, methods: readonly HttpMethod[]) {
  return applyDecorators(All(path), SetMetadata(ALLOWED_METHODS, methods));
}

/**
 * A Seam route that appends to the log: what its caller sends counts against its workspace's
 * LOG_BYTES_PER_MINUTE_PER_WORKSPACE (`chargeLogBytes`), so no tenant can fill the disk for the others.
 */
export function SeamWriteRoute(path: string, methods: readonly HttpMethod[]) {
  return applyDecorators(SeamRoute(path, methods), RouteConfig({ [WRITES_TO_LOG]: true }));
}

/**
 * Needs no API key: said to Nest's guard, and in Fastify's route config to the hook that authenticates
 * every other route before its body is read (`authenticateBeforeBody`).
 */
export const PublicRoute = () =>
  applyDecorators(SetMetadata(PUBLIC_ROUTE, true), RouteConfig({ [PUBLIC_ROUTE]: true }));
