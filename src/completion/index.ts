// The completion feature's port: what the shells and the app may use.
export { CompleteConnectWebviewMessage, type CompleteConnectWebview } from './complete-connect-webview.js';
export { CompletionModule } from './completion.module.js';
export { COMPLETION_SAGA, CompletionSaga, retryParkedEvent } from './completion.saga.js';
export { ParkedSagaEvents, type ParkedSagaEvent } from './parked-saga-events.js';
export { decideCompletion, type CompletionInput, type CompletionStep } from './completion.workflow.js';
