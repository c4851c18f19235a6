import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { LoginFailed, NotFound, SandboxOnly } from '../common/domain-errors.js';
import { CONFIG } from '../common/tokens.js';
import type { AppConfig } from '../common/config.js';
import { connectWebviewDecider, endUserMayOpen, WebviewTokens } from '../connect-webviews/index.js';
import type { CommandMeta } from '../event-store/decider.js';
import { DeciderCommandHandler } from '../event-store/decider-command-handler.js';
import type { EventStore } from '../event-store/event-store.js';
import { streams } from '../event-store/streams.js';
import type { Provider } from '../providers/providers.js';
import { normaliseEmail, sandboxDevices, sandboxLogin, type SandboxDevice } from '../providers/sandbox-accounts.js';
import { connectedAccountDecider, ConnectedAccountIds } from '../connected-accounts/index.js';
import { ReadModelDatabase } from '../read-models/read-model-database.js';
import { ReadYourWrites } from '../read-models/read-your-writes.js';
import { isSandboxWorkspace } from '../workspaces/index.js';

/** An end user's login to a webview, from the hosted page or `/connect_webviews/simulate/complete`. */
export type CompleteConnectWebview = CommandMeta & {
  connectWebviewId: string;
  /** The caller's workspace; null for the hosted page, where the webview id is the end user's only credential. */
  workspaceId: string | null;
  provider: Provider | undefined;
  email: string;
  password: string;
  /** The webview url's token: what the end user (no workspace) proves access with. */
  authToken?: string;
};

/** The completion on the command bus: the command, and nothing more. */
export class CompleteConnectWebviewMessage extends Command<{ workspaceId: string; position: number }> {
  constructor(readonly command: CompleteConnectWebview) {
    super();
  }
}

/**
 * The one way a webview completes. Answers only once the saga's work (account, devices, link) is readable.
 * A wrong password is recorded (`ConnectWebviewLoginFailed`) and refused with `login_failed`; the webview
 * stays pending, so the user can try again.
 */
@CommandHandler(CompleteConnectWebviewMessage)
export class CompleteConnectWebviewHandler implements ICommandHandler<CompleteConnectWebviewMessage> {
  constructor(
    @Inject(DeciderCommandHandler) private readonly commands: DeciderCommandHandler,
    @Inject(ReadModelDatabase) private readonly readModels: ReadModelDatabase,
    @Inject(ReadYourWrites) private readonly readYourWrites: ReadYourWrites,
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(WebviewTokens) private readonly tokens: WebviewTokens,
    @Inject(ConnectedAccountIds) private readonly accountIds: ConnectedAccountIds,
  ) {}

  private get store(): EventStore {
    return this.commands.store;
  }

  async execute({ command }: CompleteConnectWebviewMessage) {
    const stream = streams.connectWebview(command.connectWebviewId);
    const target = { decider: connectWebviewDecider, streamId: stream };
    const webview = await this.commands.state(target);
    const workspaceId = webview.workspaceId;
    if (
      !webview.created ||
      workspaceId === null ||
      (command.workspaceId !== null && command.workspaceId !== workspaceId) ||
      (command.workspaceId === null &&
        !endUserMayOpen(webview.created, command.authToken, {
          now: command.now,
          ...this.config.hostedLogin,
          derivedToken: this.tokens.tokenFor(command.connectWebviewId),
        }))
    ) {
      throw new NotFound('connect_webview', 'connect_webview_id', command.connectWebviewId);
    }
    if (!isSandboxWorkspace(this.readModels.db, workspaceId)) {
      throw new SandboxOnly('Only sandbox workspaces can connect the simulated providers');
    }
    const provider = command.provider ?? webview.created.accepted_providers[0];
    const email = normaliseEmail(command.email);
    const { events, position } = await this.commands.handle(target, {
      type: 'CompleteConnectWebview',
      connectWebviewId: command.connectWebviewId,
      workspaceId: command.workspaceId,
      provider,
      email,
      loginSucceeded: sandboxLogin(command.password),
      ...(await this.accountAtLogin(workspaceId, provider, email)),
      authToken: command.authToken,
      derivedAuthToken: this.tokens.tokenFor(command.connectWebviewId),
      endUserAccess: this.config.hostedLogin,
      actor: command.actor,
      now: command.now,
    });
    if (events[0]?.type === 'ConnectWebviewLoginFailed') {
      await this.readYourWrites.waitFor(position);
      throw new LoginFailed('Wrong email or password: check them and try again');
    }
    // No event: a retry of the completion under way, which it waits for like the first request.
    const completedAt = events.length > 0 ? position : await this.completionPosition(stream);
    return { workspaceId, position: await this.readYourWrites.waitForCompletion(completedAt) };
  }

  /**
   * What this login finds: the devices the provider reports (a sandbox account can gain one on a later
   * connection) and, for an existing account, its metadata version, which the reconnection's replacement
   * is bound to.
   */
  private async accountAtLogin(
    workspaceId: string,
    provider: Provider,
    email: string,
  ): Promise<{ devices: SandboxDevice[]; connectedAccountId: string; accountMetadataVersion?: number }> {
    const connectedAccountId = await this.accountIds.idFor(workspaceId, provider, email);
    const account = await this.commands.state({
      decider: connectedAccountDecider,
      streamId: streams.connectedAccount(connectedAccountId),
    });
    const devices = sandboxDevices(provider, email, account.exists ? account.connections + 1 : 1);
    return account.exists
      ? { devices, connectedAccountId, accountMetadataVersion: account.metadataVersion }
      : { devices, connectedAccountId };
  }

  private async completionPosition(stream: string): Promise<number> {
    const [completed] = await this.store.readStream(stream, {
      direction: 'backwards',
      types: { only: ['WebviewCompleted'] },
      maxCount: 1,
    });
    return completed?.position ?? 0;
  }
}
