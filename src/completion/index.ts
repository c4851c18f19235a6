// The completion feature's port: what the shells and the app may use.
export { ParkedSagaEvents, type ParkedSagaEvent } from './parked-saga-events.js';
export { decideCompletion, type CompletionInput, type CompletionStep } from './completion.workflow.js';

export { COMPLETION_SAGA, CompletionSaga, retryParkedEvent, type CompletionCommands } from './completion.saga.js';
