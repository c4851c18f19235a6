import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { LogController, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { AppConfig } from '../common/config.js';
import { metrics } from '../common/metrics.js';
import { HOSTED_PAGE_PATH } from './hosted-page.js';
import { SeamError } from './seam-error.js';
import type { RequestWithCaller } from './caller.js';

/** Fastify's options: its timeouts are off by default, so every bound comes from the configuration. */
export function fastifyOptions(http: AppConfig['http']) {
  return {
    genReqId: () => randomUUID(),
    requestIdHeader: false as const,
    bodyLimit: 1024 * 1024,
    // One line per request is written by `observeRequests`, with what an operator needs and no secrets.
    logController: new LogController({ disableRequestLogging: true }),
    requestTimeout: http.requestTimeoutMs,
    connectionTimeout: http.idleTimeoutMs,
    keepAliveTimeout: http.keepAliveTimeoutMs,
    // Node checks the request and headers deadlines on this interval (30 s by default): every second here.
    http: { connectionsCheckingInterval: 1000, headersTimeout: Math.min(http.requestTimeoutMs, 60_000) },
    // A shutdown closes idle connections at once and lets in-flight requests finish; event streams are
    // ended by their controller (with a retry hint) before the server closes.
    forceCloseConnections: 'idle' as const,
    // Requests on connections already open when the server closes are served, not refused with a bare 503.
    return503OnClosing: false,
  };
}

/** What Fastify has no option for: Node's own cap on connections. */
export function boundHttpServer(server: Server, http: AppConfig['http']): void {
  server.maxConnections = http.maxConnections;
}

/** No route takes more than a few levels (custom_metadata is flat); deeper input only costs recursion. */
const MAX_BODY_NESTING = 32;

/** How deep JSON text nests its arrays and objects (brackets inside strings do not count). */
export function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

/** A request with the size of the body it sent, for what it may write to the log (`chargeLogBytes`). */
export type RequestWithBodyBytes = FastifyRequest & { bodyBytes?: number };

/**
 * What happens before Nest sees a request: our own JSON parser (JSON.parse keeps `__proto__` as an
 * ordinary key, where Fastify's default refuses it; an empty body is `{}`), Seam's 400
 * `invalid_content_type` for anything but JSON, and `seam-request-id` on every response. Errors raised
 * here reach Nest's exception filters like any other.
 */
export function configureFastify(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = String(body);
    (request as RequestWithBodyBytes).bodyBytes = Buffer.byteLength(text);
    if (text.trim() === '') return done(null, {});
    if (nestingDepth(text) > MAX_BODY_NESTING) {
      return done(
        new SeamError(400, 'invalid_input', `The request body is nested more than ${MAX_BODY_NESTING} levels deep`),
        undefined,
      );
    }
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new SeamError(400, 'invalid_input', 'The request body is not valid JSON'), undefined);
    }
  });
  // The hosted page's form, posted by a browser without JavaScript; on every other route a form is refused.
  fastify.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 16 * 1024 },
    (request, body, done) => {
      if (request.routeOptions.url === `/${HOSTED_PAGE_PATH}`)
        return done(null, Object.fromEntries(new URLSearchParams(String(body))));
      if (String(body).trim() === '') return done(null, {});
      done(new SeamError(400, 'invalid_content_type', 'Content-Type must be application/json (got a form)'), undefined);
    },
  );
  fastify.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    // The SDK sends a parameterless call as an empty POST with a form content type: no data, no error.
    if (String(body).trim() === '') return done(null, {});
    done(
      new SeamError(
        400,
        'invalid_content_type',
        `Content-Type must be application/json (got ${request.headers['content-type'] ?? 'none'})`,
      ),
      undefined,
    );
  });
  fastify.addHook('onRequest', async (request, reply) => {
    void reply.header('seam-request-id', request.id);
  });
}

/**
 * Each answered request: one log line (request id, workspace, route template, status, duration; never the
 * URL's query or a header) and the HTTP metrics, labelled by route template so that ids in paths or
 * queries cannot multiply the series.
 */
export function observeRequests(fastify: FastifyInstance): void {
  fastify.addHook('onResponse', async (request: RequestWithCaller, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    const labels = { route, method: request.method, status: String(status) };
    metrics.httpRequests.inc(labels);
    metrics.httpRequestDuration.observe(labels, reply.elapsedTime / 1000);
    if (status === 429) metrics.rateLimited.inc({ route });
    request.log.info(
      {
        request_id: request.id,
        workspace_id: request.caller?.workspaceId ?? null,
        method: request.method,
        route,
        status,
        duration_ms: Math.round(reply.elapsedTime * 100) / 100,
      },
      'request',
    );
  });
}
