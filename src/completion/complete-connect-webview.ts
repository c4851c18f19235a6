import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { Actor } from '../common/actor.js';
import { notFound, SeamError } from '../common/seam-error.js';
import { connectWebviewDecider } from '../connect-webviews/connect-webview.js';
import { handleCommand, loadState } from '../event-store/decider.js';
import type { EventStore } from '../event-store/event-store.js';
import { streams } from '../event-store/streams.js';
import type { Provider } from '../providers/providers.js';
import { normaliseEmail, sandboxLogin } from '../providers/sandbox-accounts.js';
import { ReadModelDatabase } from '../read-models/read-model-database.js';
import { ReadYourWrites } from '../read-models/read-your-writes.js';
import { EVENT_STORE } from '../tokens.js';
import { isSandboxWorkspace } from '../workspaces/workspace.projection.js';

/**
 * The one way a webview completes, whether the end user submits the hosted page or an app calls
 * `/connect_webviews/simulate/complete`. Answers only once the saga's work (account, devices, link) is
 * readable. A wrong password is recorded (`ConnectWebviewLoginFailed`) and refused with `login_failed`;
 * the webview stays pending, so the user can try again.
 */
export class CompleteConnectWebviewCommand extends Command<{ workspaceId: string }> {
  constructor(
    readonly connectWebviewId: string,
    /** The caller's workspace; null for the hosted page, where the webview id is the end user's only credential. */
    readonly workspaceId: string | null,
    readonly provider: Provider | undefined,
    readonly email: string,
    readonly password: string,
    readonly actor: Actor,
  ) {
    super();
  }
}

@CommandHandler(CompleteConnectWebviewCommand)
export class CompleteConnectWebviewHandler implements ICommandHandler<CompleteConnectWebviewCommand> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(ReadModelDatabase) private readonly readModels: ReadModelDatabase,
    @Inject(ReadYourWrites) private readonly readYourWrites: ReadYourWrites,
  ) {}

  async execute(command: CompleteConnectWebviewCommand) {
    const stream = streams.connectWebview(command.connectWebviewId);
    const webview = await loadState(this.store, stream, connectWebviewDecider);
    const workspaceId = webview.workspaceId;
    if (!webview.created || workspaceId === null || (command.workspaceId !== null && command.workspaceId !== workspaceId)) {
      throw notFound('connect_webview', 'connect_webview_id', command.connectWebviewId);
    }
    if (!isSandboxWorkspace(this.readModels.db, workspaceId)) {
      throw new SeamError(403, 'sandbox_only', 'Only sandbox workspaces can connect the simulated providers');
    }
    const { events, position } = await handleCommand(
      this.store,
      stream,
      connectWebviewDecider,
      {
        type: 'CompleteConnectWebview',
        connectWebviewId: command.connectWebviewId,
        workspaceId: command.workspaceId,
        provider: command.provider ?? webview.created.accepted_providers[0],
        email: normaliseEmail(command.email),
        loginSucceeded: sandboxLogin(command.password),
        now: new Date().toISOString(),
      },
      { actor: command.actor },
    );
    if (events[0]?.type === 'ConnectWebviewLoginFailed') {
      await this.readYourWrites.waitFor(position);
      throw new SeamError(400, 'login_failed', 'Wrong email or password: check them and try again');
    }
    await this.readYourWrites.waitForCompletion(position);
    return { workspaceId };
  }
}
