// The connected-accounts feature's Nest port: its module, commands and queries, for the shells and the app. Its
// domain, which loads no Nest, is the other port, index.ts.
export * from './connected-accounts.cqrs.js';
export { ConnectedAccountsModule } from './connected-accounts.module.js';
