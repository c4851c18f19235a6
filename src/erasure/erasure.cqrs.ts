import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DATA_KEYS } from '../common/tokens.js';
import { deviceIdsOfAccount } from '../devices/index.js';
import type { DataKeys } from '../encryption/data-keys.js';
import type { WriteResult } from '../event-store/decider.js';
import { DeciderCommandHandler } from '../event-store/decider-command-handler.js';
import { ReadModelDatabase } from '../read-models/read-model-database.js';
import { ReadYourWrites } from '../read-models/read-your-writes.js';
import { eraseConnectedAccount, type EraseConnectedAccount } from './erase-connected-account.js';
import { eraseWorkspace, type EraseWorkspace } from './erase-workspace.js';

export class DeleteConnectedAccountCommand extends Command<WriteResult> {
  constructor(readonly command: EraseConnectedAccount) {
    super();
  }
}

@CommandHandler(DeleteConnectedAccountCommand)
export class DeleteConnectedAccountHandler implements ICommandHandler<DeleteConnectedAccountCommand> {
  constructor(
    @Inject(DeciderCommandHandler) private readonly commands: DeciderCommandHandler,
    @Inject(DATA_KEYS) private readonly keys: DataKeys | undefined,
    @Inject(ReadModelDatabase) private readonly readModels: ReadModelDatabase,
    @Inject(ReadYourWrites) private readonly readYourWrites: ReadYourWrites,
  ) {}

  execute({ command }: DeleteConnectedAccountCommand): Promise<WriteResult> {
    // Every device the saga has added so far: the read models are read once they reach the log's head.
    const devicesNow = async () => {
      await this.readYourWrites.waitForCompletion(await this.commands.store.headPosition());
      return deviceIdsOfAccount(this.readModels.db, command.workspaceId, command.connectedAccountId);
    };
    return eraseConnectedAccount(this.commands, this.keys, devicesNow, command);
  }
}

/** The operator's offboarding of a workspace (the CLI's `workspace erase`). */
export class EraseWorkspaceMessage extends Command<Awaited<ReturnType<typeof eraseWorkspace>>> {
  constructor(readonly command: EraseWorkspace) {
    super();
  }
}

@CommandHandler(EraseWorkspaceMessage)
export class EraseWorkspaceHandler implements ICommandHandler<EraseWorkspaceMessage> {
  constructor(
    @Inject(DeciderCommandHandler) private readonly commands: DeciderCommandHandler,
    @Inject(DATA_KEYS) private readonly keys: DataKeys | undefined,
  ) {}

  execute({ command }: EraseWorkspaceMessage) {
    return eraseWorkspace(this.commands, this.keys, command);
  }
}
