// The erasure feature's Nest port: its module, commands and queries, for the shells and the app. Its
// domain, which loads no Nest, is the other port, index.ts.
export { DeleteConnectedAccountCommand, EraseWorkspaceHandler, EraseWorkspaceMessage } from './erasure.cqrs.js';
export { ErasureModule } from './erasure.module.js';
