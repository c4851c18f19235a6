import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module.js';
import type { AppConfig } from './common/config.js';
import { createLogger } from './common/logging.js';
import { PinoNestLogger } from './http/pino-nest-logger.js';
import { boundHttpServer, configureFastify, fastifyOptions, observeRequests } from './http/fastify-setup.js';
import { ApiKeyAuthenticator, authenticateBeforeBody, chargeLogBytes } from './http/guards.js';
import { RateLimiter } from './http/rate-limit.js';
import { CatchUp } from './read-models/catch-up.js';
import { Draining } from './http/draining.js';

/** The whole service as a Nest application, initialised (read models caught up) but not yet listening. */
export async function createServer(config: AppConfig): Promise<NestFastifyApplication> {
  const logger = createLogger(config.log);
  const adapter = new FastifyAdapter({ ...fastifyOptions(config.http), loggerInstance: logger });
  configureFastify(adapter.getInstance());
  observeRequests(adapter.getInstance());
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    bodyParser: false,
    logger: new PinoNestLogger(logger),
    // A provider that cannot be made (the log or the read models cannot be opened) is an error to report,
    // not a reason to abort the process.
    abortOnError: false,
  });
  const draining = app.get(Draining);
  // First of all: a request that arrives while the instance stops is answered, and told to come back later.
  adapter.getInstance().addHook('onRequest', async (request) => {
    if (draining.active && !request.routeOptions.url?.startsWith('/health')) throw draining.refusal();
  });
  adapter.getInstance().addHook(
    'onRequest',
    authenticateBeforeBody(
      app.get(ApiKeyAuthenticator),
      {
        perKey: new RateLimiter(config.http.requestsPerSecondPerKey, 2 * config.http.requestsPerSecondPerKey),
        perAddress: new RateLimiter(
          config.http.publicRequestsPerSecondPerAddress,
          2 * config.http.publicRequestsPerSecondPerAddress,
        ),
      },
      app.get(CatchUp),
    ),
  );
  const logBytes = config.limits.logBytesPerMinutePerWorkspace;
  adapter.getInstance().addHook('preHandler', chargeLogBytes(new RateLimiter(logBytes / 60, logBytes)));
  boundHttpServer(app.getHttpServer(), config.http);
  adapter.getInstance().addHook('onSend', async (_request, reply) => {
    if (draining.active) void reply.header('connection', 'close');
  });
  await app.init();
  return app;
}
