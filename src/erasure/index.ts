// The erasure feature's port: deleting a connected account, and erasing a workspace.
export { eraseConnectedAccount, type EraseConnectedAccount } from './erase-connected-account.js';
export { eraseWorkspace, type EraseWorkspace } from './erase-workspace.js';
