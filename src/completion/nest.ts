// The completion feature's Nest port: its module, commands and queries, for the shells and the app. Its
// domain, which loads no Nest, is the other port, index.ts.
export { CompleteConnectWebviewMessage, type CompleteConnectWebview } from './complete-connect-webview.js';
export { completionCommands } from './completion-steps.js';
export { CompletionModule } from './completion.module.js';
