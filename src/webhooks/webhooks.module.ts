import { Module } from '@nestjs/common';
import { WebhookDelivery } from './webhook-delivery.js';
import {
  CreateWebhookHandler,
  GetWebhookHandler,
  ListWebhooksHandler,
  WebhookCommandHandler,
} from './webhooks.cqrs.js';

@Module({
  providers: [WebhookDelivery, WebhookCommandHandler, CreateWebhookHandler, GetWebhookHandler, ListWebhooksHandler],
})
export class WebhooksModule {}
