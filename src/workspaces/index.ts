// The workspaces feature's port: what other features and the shells may use.
export { workspaceDecider } from './workspace.js';
export type { WorkspaceCommand, WorkspaceEvent, WorkspaceState } from './workspace.js';
export { currentMetadataSchemas, currentWorkspace } from './metadata-schemas.js';
export {
  findApiKey,
  findApiKeyWorkspace,
  isApiKeyActive,
  isSandboxWorkspace,
  workspaceReadModel,
  type ApiKeyRow,
} from './workspace.projection.js';
export { listApiKeys, type ApiKeySummary, type IssuedApiKey, type RevokedApiKey } from './api-keys.js';
export { ApiKeyUsage } from './api-key-usage.js';
export { hashApiKey } from './api-key.js';
