// The connect-webviews feature's port: what other features and the shells may use.
export { connectWebviewDecider, endUserMayOpen } from './connect-webview.js';
export type {
  ConnectWebviewCommand,
  ConnectWebviewEvent,
  ConnectWebviewOptions,
  ConnectWebviewState,
} from './connect-webview.js';
export {
  connectWebviewReadModel,
  findConnectWebviewAnyWorkspace,
  type ConnectWebviewRecord,
} from './connect-webview.projection.js';
export { WebviewTokens } from './webview-tokens.js';
export { CONNECT_WEBVIEWS_LISTING } from './connect-webview.projection.js';
