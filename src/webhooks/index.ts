// The webhooks feature's port: what the shells and the app may use.
export { webhookReadModel } from './webhook.projection.js';
export { generateWebhookSecret } from './webhook-signing.js';
export { assertWebhookTarget } from './webhook-target.js';
export type { WebhookCommand, WebhookSelectorChange } from './webhook.js';
