import type { FastifyRequest } from 'fastify';
import { SeamError } from './seam-error.js';

/**
 * The hosted login takes a post from its own page only: a browser names the page a post comes from in
 * `Origin`, so another site's form (cross-site request forgery, a login-guessing page) is refused. A client
 * that sends no Origin is not a browser on another site's page, and is let through.
 */
export function assertSameOrigin(request: FastifyRequest, publicUrl: string): void {
  const origin = request.headers.origin;
  if (origin === undefined) return;
  const own = [new URL(publicUrl).origin, `${request.protocol}://${request.headers.host ?? ''}`];
  if (!own.includes(origin))
    throw new SeamError(403, 'invalid_origin', 'This form may be posted from its own page only');
}
