import { deterministicId } from '../common/deterministic-id.js';
import type { Actor } from '../common/actor.js';
import { connectWebviewDecider, type ConnectWebviewEvent } from '../connect-webviews/connect-webview.js';
import { connectedAccountDecider } from '../connected-accounts/connected-account.js';
import { deviceDecider } from '../devices/device.js';
import type { ConsumerHandler } from '../event-store/checkpointed-consumer.js';
import { handleCommand, loadState, type CommandContext } from '../event-store/decider.js';
import type { EventStore, RecordedEvent } from '../event-store/event-store.js';
import { streams } from '../event-store/streams.js';
import { sandboxDevices } from '../providers/sandbox-accounts.js';
import type { ReadModelDatabase } from '../read-models/read-model-database.js';

export const COMPLETION_SAGA = 'completion_saga';

type WebviewCompleted = Extract<ConnectWebviewEvent, { type: 'WebviewCompleted' }>;

/**
 * The completion saga (process manager). For each `WebviewCompleted`:
 * 1. the connected account: created with a copy of the webview's metadata (`webview_inherited`), or, when
 *    (workspace, provider, email) is already connected, reconnected, its metadata replaced by the webview's
 *    when the webview has any (`webview_replaced`);
 * 2. the provider account's devices that do not exist yet (metadata `{}`);
 * 3. the webview linked to the account (`ConnectWebviewAuthorized`).
 * Every step is idempotent: the deciders refuse to apply the same webview twice, and the events' ids derive
 * from the WebviewCompleted event's id, so a step repeated after a crash, or by a second instance, writes
 * nothing new. Its checkpoint advances only after an event's steps all succeeded.
 */
export class CompletionSaga implements ConsumerHandler {
  constructor(
    private readonly store: EventStore,
    private readonly checkpoints: ReadModelDatabase,
  ) {}

  loadCheckpoint(): number {
    return this.checkpoints.checkpoint(COMPLETION_SAGA);
  }

  async handle(events: RecordedEvent[]): Promise<void> {
    for (const event of events) {
      if (event.type === 'WebviewCompleted') await this.complete(event, event.data as WebviewCompleted['data']);
      this.checkpoints.setCheckpoint(COMPLETION_SAGA, event.position);
    }
  }

  private async complete(event: RecordedEvent, completed: WebviewCompleted['data']): Promise<void> {
    const webview = await loadState(this.store, streams.connectWebview(completed.connect_webview_id), connectWebviewDecider);
    if (!webview.created) throw new Error(`WebviewCompleted for unknown webview ${completed.connect_webview_id}`);
    const actor: Actor = { type: 'completion_saga', connect_webview_id: completed.connect_webview_id };
    const step = (name: string): CommandContext => ({
      actor,
      correlationId: event.metadata.correlation_id,
      eventId: (index) => deterministicId(event.id, name, String(index)),
    });
    // Times come from the completion, so a repeated step decides exactly the same events.
    const now = completed.completed_at;

    const account = await handleCommand(
      this.store,
      streams.connectedAccount(completed.connected_account_id),
      connectedAccountDecider,
      {
        type: 'ConnectFromWebview',
        connectedAccountId: completed.connected_account_id,
        workspaceId: completed.workspace_id,
        provider: completed.provider,
        email: completed.email,
        connectWebviewId: completed.connect_webview_id,
        webviewMetadata: webview.customMetadata,
        automaticallyManageNewDevices: webview.created.automatically_manage_new_devices,
        acceptedCapabilities: webview.created.accepted_capabilities,
        actor,
        now,
      },
      step('connected_account'),
    );

    for (const device of sandboxDevices(completed.provider, completed.email, account.state.connections)) {
      const deviceId = deterministicId('device', completed.connected_account_id, device.key);
      await handleCommand(
        this.store,
        streams.device(deviceId),
        deviceDecider,
        {
          type: 'AddDevice',
          device: {
            device_id: deviceId,
            workspace_id: completed.workspace_id,
            connected_account_id: completed.connected_account_id,
            connect_webview_id: completed.connect_webview_id,
            provider: completed.provider,
            device_type: device.device_type,
            name: device.name,
            model: device.model,
          },
          actor,
          now,
        },
        step(`device:${device.key}`),
      );
    }

    await handleCommand(
      this.store,
      streams.connectWebview(completed.connect_webview_id),
      connectWebviewDecider,
      { type: 'AuthorizeConnectWebview', connectWebviewId: completed.connect_webview_id, now },
      step('connect_webview'),
    );
  }
}
