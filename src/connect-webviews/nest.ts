// The connect-webviews feature's Nest port: its module, commands and queries, for the shells and the app. Its
// domain, which loads no Nest, is the other port, index.ts.
export * from './connect-webviews.cqrs.js';
export { ConnectWebviewsModule } from './connect-webviews.module.js';
