import { NestFactory } from '@nestjs/core';
import { CommandBus } from '@nestjs/cqrs';
import { CliCommandsModule } from '../../src/cli-commands.module.js';
import { loadConfig } from '../../src/common/config.js';
import { completionCommands } from '../../src/completion/nest.js';
import { DeciderCommandHandler } from '../../src/event-store/decider-command-handler.js';
import type { EventStore } from '../../src/event-store/event-store.js';

/**
 * The command handlers on a CommandBus, over `store`, without a server: the CLI's application context. A
 * test sends commands the way the app does, through the same handlers.
 */
export async function commandsOn(store: EventStore, dataDir: string) {
  const config = loadConfig({ DATA_DIR: dataDir }, { stdoutIsTTY: false });
  const app = await NestFactory.createApplicationContext(CliCommandsModule.forRoot(config, store), {
    logger: false,
    abortOnError: false,
  });
  const handler = app.get(DeciderCommandHandler);
  const bus = app.get(CommandBus);
  /** The names of the messages the bus carried, in order. */
  const sent: string[] = [];
  const seen = bus.subscribe((message) => sent.push(message.constructor.name));
  const close = async () => {
    seen.unsubscribe();
    await app.close();
  };
  return { bus, handler, sent, completion: completionCommands(bus, handler), close };
}
