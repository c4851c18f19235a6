import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { metricsRegistry } from './common/metrics.js';
import { ConfigError, loadConfig, type AppConfig } from './common/config.js';
import { CoreModule } from './core.module.js';
import { ReadYourWrites } from './read-models/read-your-writes.js';
import { createServer } from './server.js';
import { MasterKeyError } from './encryption/master-key.js';

import { CreateWorkspaceMessage } from './workspaces/nest.js';
import { CommandBus } from '@nestjs/cqrs';
import { Draining } from './http/draining.js';
import { HealthController } from './http/health.controller.js';

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }

  const app = await createServer(config).catch((error: unknown) => {
    if (!(error instanceof MasterKeyError)) throw error;
    process.stderr.write(`Not starting: ${error.message}\n`);
    process.exit(1);
  });
  if (app.get(CoreModule).isNewLog && config.createSandboxWorkspace) {
    // A newcomer's first `npm start`: give them a workspace and a key to call the API with at once.
    const sandbox = await app
      .get(CommandBus)
      .execute(new CreateWorkspaceMessage({ name: 'Sandbox', isSandbox: true, actor: { type: 'system' } }));
    await app.get(ReadYourWrites).waitFor(sandbox.position);
    announceSandboxKey(config.dataDir, sandbox);
  } else if (app.get(CoreModule).isNewLog) {
    new Logger('Server').log(
      'A new log, and no sandbox workspace (NODE_ENV=production): create a workspace with `npm run cli -- workspace create`',
    );
  }

  stopGracefullyOnSignals(app, config.http);
  const metricsServer = await serveMetrics(config.metrics, () => app.get(HealthController).detailed());
  await app.listen({ port: config.port, host: config.host });
  const url = (await app.getUrl()).replace('[::1]', 'localhost');
  if (!config.publicUrlConfigured) config.publicUrl = url;
  const logger = new Logger('Server');
  if (metricsServer) logger.log(`Metrics on ${metricsServer}`);
  logger.log(`Listening on ${url} (data in ${config.dataDir}, Node ${process.version})`);
}

/** In DATA_DIR: the key of the sandbox workspace a first start creates. */
const SANDBOX_KEY_FILE = 'sandbox-api-key';

/**
 * The sandbox key goes to a terminal, and otherwise to a file readable by this user only: a key in a log
 * would travel wherever the logs do (a container's logs, a log pipeline).
 */
function announceSandboxKey(dataDir: string, sandbox: { workspace_id: string; api_key: string }): void {
  const file = join(dataDir, SANDBOX_KEY_FILE);
  writeFileSync(file, `${sandbox.api_key}\n`, { mode: 0o600 });
  if (!process.stdout.isTTY) {
    new Logger('Server').log(
      `The store was empty, so sandbox workspace ${sandbox.workspace_id} was created; its API key is in ${file}`,
    );
    return;
  }
  process.stdout.write(
    [
      '',
      'The store was empty, so a sandbox workspace was created. Its API key is shown this once:',
      '',
      `  workspace_id: ${sandbox.workspace_id}`,
      `  api_key:      ${sandbox.api_key}`,
      '',
      `(also in ${file}). More keys and workspaces: npm run cli -- --help`,
      '',
    ].join('\n') + '\n',
  );
}

/**
 * GET /metrics on a port of its own, so that the API's port never exposes it by accident; GET /health there
 * is readiness with its detail (the store's error, the data path, consumers' last errors, parked completions),
 * which the API's port tells no one.
 */
async function serveMetrics(
  { port, host }: AppConfig['metrics'],
  health: () => Promise<{ status: number; body: Record<string, unknown> }>,
): Promise<string | null> {
  if (port === null) return null;
  const server = createHttpServer((request, response) => {
    const path = request.url?.split('?')[0];
    if (request.method === 'GET' && path === '/health') {
      health().then(
        ({ status, body }) =>
          response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
        (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(error)}\n`),
      );
      return;
    }
    if (request.method !== 'GET' || path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: GET /metrics or GET /health\n');
      return;
    }
    metricsRegistry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': metricsRegistry.contentType }).end(text),
      (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  server.unref();
  const address = server.address() as AddressInfo;
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}/metrics`;
}

/**
 * SIGTERM or SIGINT: readiness turns 503 and answers close their connections for `shutdownDrainMs` (load
 * balancers move away), then the server stops listening, lets in-flight requests finish (the whole stop is
 * bounded by `shutdownGraceMs`), ends event streams with a `retry:` hint, stops the consumers at their
 * checkpoints and closes the stores (pending commits flushed), and exits 0. A second signal exits at once.
 */
function stopGracefullyOnSignals(app: Awaited<ReturnType<typeof createServer>>, http: AppConfig['http']): void {
  const logger = new Logger('Server');
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    app.get(Draining).start(http.shutdownDrainMs);
    logger.log(
      `${signal}: draining for ${http.shutdownDrainMs} ms, then finishing in-flight requests and exiting ` +
        `(at most ${http.shutdownGraceMs} ms in all)`,
    );
    const deadline = setTimeout(() => {
      logger.error(`Still not stopped after ${http.shutdownGraceMs} ms: exiting anyway`);
      process.exit(1);
    }, http.shutdownGraceMs);
    deadline.unref();
    setTimeout(() => {
      app.close().then(
        () => {
          logger.log('Stopped');
          process.exit(0);
        },
        (error: unknown) => {
          logger.error(`Shutdown failed: ${String(error)}`);
          process.exit(1);
        },
      );
    }, http.shutdownDrainMs);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`Failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
