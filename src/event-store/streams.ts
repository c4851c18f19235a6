/** Stream names, one per resource: `<resource type>-<id>`. */
export const streams = {
  workspace: (workspaceId: string) => `workspace-${workspaceId}`,
  connectWebview: (connectWebviewId: string) => `connect_webview-${connectWebviewId}`,
  connectedAccount: (connectedAccountId: string) => `connected_account-${connectedAccountId}`,
  device: (deviceId: string) => `device-${deviceId}`,
  webhook: (webhookId: string) => `webhook-${webhookId}`,
  /** The log's own marker (see log-identity.ts). */
  logIdentity: () => 'service_log-identity',
  /** The secret connected-account ids are keyed with (see connected-account-id.ts). */
  accountIdKey: () => 'service_account-id-key',
};

/** The prefixes of every stream this service writes: in a shared EventStoreDB, all else is someone else's. */
export const SERVICE_STREAM_PREFIXES = Object.values(streams).map((name) => name(''));

export function isServiceStream(stream: string): boolean {
  return SERVICE_STREAM_PREFIXES.some((prefix) => stream.startsWith(prefix));
}
