// The workspaces feature's port: what other features and the shells may use.
export { workspaceDecider } from './workspace.js';
export type { WorkspaceCommand, WorkspaceEvent } from './workspace.js';
export { findApiKey, isSandboxWorkspace, workspaceReadModel } from './workspace.projection.js';
export { createWorkspace, issueApiKey, type IssuedApiKey } from './workspace-commands.js';
export { hashApiKey } from './api-key.js';
