// The webhooks feature's Nest port: its module, commands and queries, for the shells and the app. Its
// domain, which loads no Nest, is the other port, index.ts.
export * from './webhooks.cqrs.js';
export { WebhooksModule } from './webhooks.module.js';
