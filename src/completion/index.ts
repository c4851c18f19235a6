// The completion feature's port: what the shells and the app may use.
export { CompleteConnectWebviewMessage, type CompleteConnectWebview } from './complete-connect-webview.js';
export { CompletionModule } from './completion.module.js';
export { COMPLETION_SAGA, CompletionSaga } from './completion.saga.js';
export { decideCompletion, type CompletionInput, type CompletionStep } from './completion.workflow.js';
