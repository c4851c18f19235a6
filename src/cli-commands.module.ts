import { Global, Module, type DynamicModule } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import type { AppConfig } from './common/config.js';
import { CONFIG, DATA_KEYS, EVENT_STORE } from './common/tokens.js';
import { ConnectWebviewCommandHandler } from './connect-webviews/nest.js';
import { ConnectedAccountCommandHandler } from './connected-accounts/nest.js';
import { DeviceCommandHandler } from './devices/nest.js';
import { EraseWorkspaceHandler } from './erasure/nest.js';
import { DeciderCommandHandler } from './event-store/decider-command-handler.js';
import type { EventStore } from './event-store/event-store.js';
import { dataKeysOf } from './runtime.js';
import { WorkspacesModule } from './workspaces/nest.js';

/**
 * The CLI's writes go in the way the server's do: through the command handlers, on a CommandBus. This is
 * what they need and nothing more (no read models, no consumers, no HTTP): the workspace commands, the
 * workspace erasure, and the commands of the completion's steps for `saga retry`.
 */
@Global()
@Module({})
export class CliCommandsModule {
  static forRoot(config: AppConfig, store: EventStore): DynamicModule {
    const commands = new DeciderCommandHandler(store, { stateCacheBytes: config.limits.stateCacheBytes });
    const shared = [
      { provide: CONFIG, useValue: config },
      { provide: EVENT_STORE, useValue: store },
      { provide: DATA_KEYS, useValue: dataKeysOf(store) },
      { provide: DeciderCommandHandler, useValue: commands },
    ];
    return {
      module: CliCommandsModule,
      imports: [CqrsModule.forRoot(), WorkspacesModule],
      providers: [
        ...shared,
        EraseWorkspaceHandler,
        ConnectedAccountCommandHandler,
        DeviceCommandHandler,
        ConnectWebviewCommandHandler,
      ],
      exports: shared.map((provider) => provider.provide),
    };
  }
}
