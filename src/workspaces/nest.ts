// The workspaces feature's Nest port: its module and command handlers, for the shells and the app. Its
// domain, which loads no Nest, is the other port, index.ts.
export * from './workspaces.cqrs.js';
export { WorkspacesModule } from './workspaces.module.js';
