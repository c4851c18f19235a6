// The audit feature's port: history, replay, verify and swap, for the shells and the app.
export type { AuditedResource, CustomMetadataHistoryEntry } from './audit.js';
export { historyCommand, replayCommand, type Terminal } from './cli-commands.js';
export { liveReadModelsPath, newReplayPath, removeDatabaseFiles } from './read-model-files.js';
export { buildProjections, promoteReadModels, replayInto, type ReplayProgress, type ReplaySetup } from './replay.js';
export { markServerRunning, markServerStopped, reportSwap, SWAP_SIGNAL, takeSwapRequest } from './swap-requests.js';
