import { NotFound } from '../common/domain-errors.js';
import type { Actor } from '../common/actor.js';
import { connectedAccountDecider } from '../connected-accounts/index.js';
import { deviceDecider } from '../devices/index.js';
import { accountKeyId } from '../encryption/data-key-policy.js';
import type { DataKeys } from '../encryption/data-keys.js';
import type { DeciderCommandHandler } from '../event-store/decider-command-handler.js';
import { streams } from '../event-store/streams.js';

export interface EraseConnectedAccount {
  workspaceId: string;
  connectedAccountId: string;
  actor: Actor;
  now: string;
}

/**
 * `connected_accounts/delete`, as Seam promises it: the account and all its data. It records the deletion
 * (ConnectedAccountDeleted, and DeviceDeleted for each of its devices, under the workspace's key), then
 * destroys the account's key and its devices' keys: everything else they ever wrote reads as erased from
 * then on, in every store and every copy of the log. The projections drop their rows, and scrub them from
 * the read-model file, on the deletion's events.
 *
 * Each step can run again: a delete interrupted after its first append is finished by the next call (which
 * then answers 404, as a second delete does). `devicesNow` reads the read models once they reach the head.
 */
export async function eraseConnectedAccount(
  commands: DeciderCommandHandler,
  keys: DataKeys | undefined,
  devicesNow: () => Promise<string[]>,
  command: EraseConnectedAccount,
): Promise<{ position: number }> {
  const account = { decider: connectedAccountDecider, streamId: streams.connectedAccount(command.connectedAccountId) };
  const state = await commands.state(account);
  if (state.workspaceId !== command.workspaceId || (!state.exists && !state.deleted)) {
    throw new NotFound('connected_account', 'connected_account_id', command.connectedAccountId);
  }
  let position = 0;
  let deviceIds: readonly string[] | undefined = state.deleted?.deviceIds;
  if (!deviceIds) {
    const found = await devicesNow();
    deviceIds = found;
    ({ position } = await commands.handle(account, {
      type: 'DeleteConnectedAccount',
      connectedAccountId: command.connectedAccountId,
      workspaceId: command.workspaceId,
      deviceIds: found,
      actor: command.actor,
      now: command.now,
    }));
  }
  for (const deviceId of deviceIds) {
    const deleted = await commands.handle(
      { decider: deviceDecider, streamId: streams.device(deviceId) },
      {
        type: 'DeleteDevice',
        deviceId,
        workspaceId: command.workspaceId,
        connectedAccountId: command.connectedAccountId,
        actor: command.actor,
        now: command.now,
      },
    );
    position = Math.max(position, deleted.position);
  }
  await keys?.erase({ subject: accountKeyId(command.connectedAccountId) }, state.deleted?.at ?? command.now);
  if (state.deleted) throw new NotFound('connected_account', 'connected_account_id', command.connectedAccountId);
  return { position };
}
