import type { Actor } from '../common/actor.js';
import { deterministicId } from '../common/deterministic-id.js';
import type { ConnectWebviewCommand, ConnectWebviewEvent, ConnectWebviewState } from '../connect-webviews/index.js';
import type { ConnectedAccountCommand, ConnectedAccountState } from '../connected-accounts/index.js';
import type { DeviceCommand } from '../devices/index.js';
import { streams } from '../event-store/streams.js';
import { deviceKindOf } from '../providers/providers.js';
import { sandboxDevices } from '../providers/sandbox-accounts.js';

export type WebviewCompleted = Extract<ConnectWebviewEvent, { type: 'WebviewCompleted' }>;

/** The completion as the saga reads it from the log: its event's id and data. */
export interface CompletionInput {
  eventId: string;
  correlationId?: string;
  completed: WebviewCompleted['data'];
  /** The webview's and the account's states before this completion's steps (or part-way through them). */
  webview: ConnectWebviewState;
  account: ConnectedAccountState;
}

/** One command of the completion, on one stream, with the ids its events will have. */
export type CompletionStep = { stream: string; eventId: (index: number) => string; correlationId?: string } & (
  | { target: 'connected_account'; command: ConnectedAccountCommand }
  | { target: 'device'; command: DeviceCommand }
  | { target: 'connect_webview'; command: Extract<ConnectWebviewCommand, { type: 'AuthorizeConnectWebview' }> }
);

/**
 * The completion workflow, pure: for a `WebviewCompleted`, the commands to run, in order.
 * 1. the connected account: created with a copy of the webview's metadata (`webview_inherited`), or, when
 *    (workspace, provider, email) is already connected, reconnected, its metadata replaced by the webview's
 *    when the webview has any (`webview_replaced`);
 * 2. the provider account's devices that do not exist yet (metadata `{}`), as its login reported them
 *    (recorded in the `WebviewCompleted` event);
 * 3. the webview linked to the account (`ConnectWebviewAuthorized`).
 * The ids of the events each step appends derive from the WebviewCompleted event's id, and every time comes
 * from the completion: a step repeated after a crash, or by a second instance, decides the very same events,
 * which the store then takes as an idempotent repeat.
 */
export function decideCompletion({
  eventId,
  correlationId,
  completed,
  webview,
  account,
}: CompletionInput): CompletionStep[] {
  if (!webview.created) throw new Error(`WebviewCompleted for unknown webview ${completed.connect_webview_id}`);
  const actor: Actor = { type: 'completion_saga', connect_webview_id: completed.connect_webview_id };
  const meta = { actor, now: completed.completed_at };
  const step = (name: string) => ({
    eventId: (index: number) => deterministicId(eventId, name, String(index)),
    correlationId,
  });

  const accountStep: CompletionStep = {
    target: 'connected_account',
    stream: streams.connectedAccount(completed.connected_account_id),
    ...step('connected_account'),
    command: {
      type: 'ConnectFromWebview',
      connectedAccountId: completed.connected_account_id,
      workspaceId: completed.workspace_id,
      provider: completed.provider,
      email: completed.email,
      connectWebviewId: completed.connect_webview_id,
      webviewMetadata: webview.customMetadata,
      automaticallyManageNewDevices: webview.created.automatically_manage_new_devices,
      acceptedCapabilities: webview.created.accepted_capabilities,
      customerKey: webview.created.customer_key,
      ...(completed.account_metadata_version !== undefined
        ? { replacesMetadataVersion: completed.account_metadata_version }
        : {}),
      ...meta,
    },
  };

  // The devices the login reported, as recorded. Completions recorded before they were kept ask the sandbox
  // fixtures, as they did then: the same answer for the same account history.
  const devices =
    completed.devices ??
    sandboxDevices(completed.provider, completed.email, connectionsAfter(account, completed.connect_webview_id));
  // The account's settings decide, once it has some: which kinds of device it takes, whether they are managed.
  const settings = account.exists
    ? {
        capabilities: account.acceptedCapabilities,
        managed: account.automaticallyManageNewDevices,
        customerKey: account.customerKey,
      }
    : {
        capabilities: webview.created.accepted_capabilities,
        managed: webview.created.automatically_manage_new_devices,
        customerKey: webview.created.customer_key,
      };
  const accepted = devices.filter((device) => {
    const kind = deviceKindOf(device.device_type);
    return kind === undefined || settings.capabilities.includes(kind);
  });
  const deviceSteps = accepted.map((device): CompletionStep => {
    const deviceId = deterministicId('device', completed.connected_account_id, device.key);
    return {
      target: 'device',
      stream: streams.device(deviceId),
      ...step(`device:${device.key}`),
      command: {
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
          // Written only when it differs from what devices recorded before these settings were kept.
          ...(settings.managed ? {} : { is_managed: false }),
          ...(settings.customerKey ? { customer_key: settings.customerKey } : {}),
        },
        ...meta,
      },
    };
  });

  const linkStep: CompletionStep = {
    target: 'connect_webview',
    stream: streams.connectWebview(completed.connect_webview_id),
    ...step('connect_webview'),
    command: { type: 'AuthorizeConnectWebview', connectWebviewId: completed.connect_webview_id, ...meta },
  };

  return [accountStep, ...deviceSteps, linkStep];
}

/** How many times a webview will have connected the account once this completion's account step has run. */
function connectionsAfter(account: ConnectedAccountState, connectWebviewId: string): number {
  if (account.connectWebviewIds.includes(connectWebviewId)) return account.connections;
  return account.exists ? account.connections + 1 : 1;
}
