/** Stream names, one per resource: `<resource type>-<id>`. */
export const streams = {
  workspace: (workspaceId: string) => `workspace-${workspaceId}`,
  connectWebview: (connectWebviewId: string) => `connect_webview-${connectWebviewId}`,
  connectedAccount: (connectedAccountId: string) => `connected_account-${connectedAccountId}`,
  device: (deviceId: string) => `device-${deviceId}`,
  webhook: (webhookId: string) => `webhook-${webhookId}`,
};
