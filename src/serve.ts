import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, loadConfig, type AppConfig } from './common/config.js';
import type { EventStore } from './event-store/event-store.js';
import { CoreModule } from './core.module.js';
import { ReadYourWrites } from './read-models/read-your-writes.js';
import { createServer } from './server.js';
import { EVENT_STORE } from './common/tokens.js';
import { createWorkspace } from './workspaces/index.js';

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }

  const app = await createServer(config);
  const store = app.get<EventStore>(EVENT_STORE);
  if (app.get(CoreModule).isNewLog) {
    // A newcomer's first `npm start`: give them a workspace and a key to call the API with at once.
    const sandbox = await createWorkspace(store, { name: 'Sandbox', isSandbox: true, actor: { type: 'system' } });
    await app.get(ReadYourWrites).waitFor(sandbox.position);
    process.stdout.write(
      [
        '',
        'The store was empty, so a sandbox workspace was created. Its API key is shown this once:',
        '',
        `  workspace_id: ${sandbox.workspace_id}`,
        `  api_key:      ${sandbox.api_key}`,
        '',
        'More keys and workspaces: npm run cli -- --help',
        '',
      ].join('\n') + '\n',
    );
  }

  await app.listen({ port: config.port, host: config.host });
  const url = (await app.getUrl()).replace('[::1]', 'localhost');
  if (!config.publicUrlConfigured) config.publicUrl = url;
  new Logger('Server').log(`Listening on ${url} (data in ${config.dataDir}, Node ${process.version})`);
}

main().catch((error: unknown) => {
  process.stderr.write(`Failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
