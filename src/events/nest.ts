// The events feature's Nest port: its module, commands and queries, for the shells and the app. Its
// domain, which loads no Nest, is the other port, index.ts.
export * from './events.cqrs.js';
export { EventsModule } from './events.module.js';
