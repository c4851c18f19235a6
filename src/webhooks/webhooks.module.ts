import { Module } from '@nestjs/common';
import { WebhookDelivery } from './webhook-delivery.js';
import { GetWebhookHandler, ListWebhooksHandler, WebhookCommandHandler } from './webhooks.cqrs.js';

@Module({ providers: [WebhookDelivery, WebhookCommandHandler, GetWebhookHandler, ListWebhooksHandler] })
export class WebhooksModule {}
