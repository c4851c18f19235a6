// The events feature's port: Seam's public events, for the shells and the webhooks feature.
export * from './public-event.js';
export * from './public-events.queries.js';
export { publicEventsReadModel } from './public-events.projection.js';
