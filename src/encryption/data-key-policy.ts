import type { NewEvent } from '../event-store/event-store.js';
import type { KeyOwner } from './data-keys.js';

/**
 * Which data key seals an event: the one place that says whose data each event is.
 *
 * - A connected account's stream: the account's key. A device's stream: the device's key, owned by its
 *   account's, so that the account's erasure destroys it too. A webhook's: the webhook's (its URL, its
 *   secrets). Everything else of a workspace: the workspace's key.
 * - The records of an erasure are the workspace's, so they stay readable after the subject's key is gone;
 *   a workspace's own erasure is kept in clear (ids and a time only), to be read after every key is gone.
 * - Personal data that another stream records (the email of a webview's completion) is sealed again, field
 *   by field, under its subject's key.
 */
export interface DataKeyChoice extends KeyOwner {
  keyId: string;
}

/** Events kept in clear: they hold ids and times only, and must stay readable whatever is erased. */
const CLEAR_TYPES = new Set(['LogCreated', 'KeyStoreBound', 'WorkspaceErased']);
/**
 * Records of an account's (and its devices') erasure: sealed under the workspace's key, not the erased
 * subject's, so that the erased resource's stream still says when it was erased.
 */
export const ERASURE_RECORD_TYPES: readonly string[] = ['ConnectedAccountDeleted', 'DeviceDeleted'];

export const accountKeyId = (connectedAccountId: string) => `connected_account:${connectedAccountId}`;
export const workspaceKeyId = (workspaceId: string) => `workspace:${workspaceId}`;

const dataOf = (event: NewEvent) => (event.data ?? {}) as Record<string, unknown>;
const text = (value: unknown) => (typeof value === 'string' ? value : null);

function workspaceOf(stream: string, event: NewEvent): string | null {
  return (
    text(dataOf(event).workspace_id) ?? (stream.startsWith('workspace-') ? stream.slice('workspace-'.length) : null)
  );
}

/** Null: kept in clear. `ownerId` undefined: a device's key that does not exist yet needs its owner found. */
export function dataKeyOf(stream: string, event: NewEvent): DataKeyChoice | null {
  if (CLEAR_TYPES.has(event.type)) return null;
  const workspaceId = workspaceOf(stream, event);
  const workspaceKey = (): DataKeyChoice =>
    workspaceId
      ? { keyId: workspaceKeyId(workspaceId), workspaceId, ownerId: null }
      : { keyId: 'service:log', workspaceId: null, ownerId: null };
  if (ERASURE_RECORD_TYPES.includes(event.type)) return workspaceKey();
  const [prefix, id] = splitStream(stream);
  switch (prefix) {
    case 'connected_account':
      return { keyId: accountKeyId(id), workspaceId, ownerId: null };
    case 'device': {
      const account = text(dataOf(event).connected_account_id);
      return { keyId: `device:${id}`, workspaceId, ownerId: account && accountKeyId(account) };
    }
    case 'webhook':
      return { keyId: `webhook:${id}`, workspaceId, ownerId: null };
    case 'service_account':
      return { keyId: `service:${stream}`, workspaceId: null, ownerId: null };
    default:
      return workspaceKey();
  }
}

function splitStream(stream: string): [string, string] {
  const dash = stream.indexOf('-');
  return dash < 0 ? [stream, ''] : [stream.slice(0, dash), stream.slice(dash + 1)];
}

/** Whether events of this type hold another subject's personal data (see `personalFieldsOf`). */
export const carriesPersonalFields = (type: string): boolean => type === 'WebviewCompleted';

/** Fields of an event that are another subject's personal data, and that subject's key. */
export function personalFieldsOf(event: NewEvent): { fields: readonly string[]; key: DataKeyChoice } | null {
  if (!carriesPersonalFields(event.type)) return null;
  const data = dataOf(event);
  const account = text(data.connected_account_id);
  if (!account) return null;
  return {
    fields: ['email', 'devices'],
    key: { keyId: accountKeyId(account), workspaceId: text(data.workspace_id), ownerId: null },
  };
}

/** What an erasure record erases, read from it as it passes (see SealedEventStore). */
export function erasureOf(
  type: string,
  data: unknown,
): { selector: { subject: string } | { workspaceId: string }; at: string | null } | null {
  const d = (data ?? {}) as Record<string, unknown>;
  if (type === 'ConnectedAccountDeleted' && typeof d.connected_account_id === 'string')
    return { selector: { subject: accountKeyId(d.connected_account_id) }, at: text(d.deleted_at) };
  if (type === 'WorkspaceErased' && typeof d.workspace_id === 'string')
    return { selector: { workspaceId: d.workspace_id }, at: text(d.erased_at) };
  return null;
}
