import { Inject } from '@nestjs/common';
import { Command, CommandHandler, Query, QueryHandler, type ICommandHandler, type IQueryHandler } from '@nestjs/cqrs';
import { NotFound } from '../common/domain-errors.js';
import { EVENT_STORE } from '../common/tokens.js';
import type { WriteResult } from '../event-store/decider.js';
import { handleCommand } from '../event-store/handle-command.js';
import type { EventStore } from '../event-store/event-store.js';
import { streams } from '../event-store/streams.js';
import { EMITTED_SEAM_EVENT_TYPES } from '../events/index.js';
import { ReadModelDatabase } from '../read-models/read-model-database.js';
import { WebhookDelivery } from './webhook-delivery.js';
import { webhookDecider, type WebhookCommand } from './webhook.js';
import { findWebhook, listWebhooks, type WebhookRecord } from './webhook.projection.js';

/** A webhook command on the command bus: the command, and nothing more. */
export class WebhookCommandMessage extends Command<WriteResult> {
  constructor(readonly command: WebhookCommand) {
    super();
  }
}

export type WebhookObject = Awaited<ReturnType<WebhookViews['toObject']>>;

export class GetWebhookQuery extends Query<WebhookObject> {
  constructor(
    readonly workspaceId: string,
    readonly webhookId: string,
  ) {
    super();
  }
}

export class ListWebhooksQuery extends Query<WebhookObject[]> {
  constructor(readonly workspaceId: string) {
    super();
  }
}

@CommandHandler(WebhookCommandMessage)
export class WebhookCommandHandler implements ICommandHandler<WebhookCommandMessage> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ command }: WebhookCommandMessage): Promise<WriteResult> {
    const { position } = await handleCommand(this.store, streams.webhook(command.webhookId), webhookDecider, command);
    return { position };
  }
}

/** Seam's webhook object, with its delivery state. The secret is shown on create and get, not in lists. */
abstract class WebhookViews {
  constructor(private readonly delivery: WebhookDelivery) {}

  async toObjects(webhooks: readonly WebhookRecord[], withSecret: boolean) {
    const deliveries = await this.delivery.dispatcher.deliveryOf(webhooks);
    return webhooks.map((webhook) => this.toObject(webhook, withSecret, deliveries.get(webhook.webhook_id)!));
  }

  private toObject(webhook: WebhookRecord, withSecret: boolean, delivery: unknown) {
    return {
      webhook_id: webhook.webhook_id,
      url: webhook.url,
      event_types: webhook.event_types ?? [...EMITTED_SEAM_EVENT_TYPES],
      ...(withSecret ? { secret: webhook.secret } : {}),
      // An extension: until when the secret before the last rotation still signs deliveries.
      ...(withSecret && webhook.previous_secret_valid_until
        ? { previous_secret_valid_until: webhook.previous_secret_valid_until }
        : {}),
      created_at: webhook.created_at,
      delivery,
    };
  }
}

@QueryHandler(GetWebhookQuery)
export class GetWebhookHandler extends WebhookViews implements IQueryHandler<GetWebhookQuery> {
  constructor(
    @Inject(ReadModelDatabase) private readonly readModels: ReadModelDatabase,
    @Inject(WebhookDelivery) delivery: WebhookDelivery,
  ) {
    super(delivery);
  }

  async execute({ workspaceId, webhookId }: GetWebhookQuery) {
    const webhook = findWebhook(this.readModels.db, workspaceId, webhookId);
    if (!webhook) throw new NotFound('webhook', 'webhook_id', webhookId);
    return (await this.toObjects([webhook], true))[0];
  }
}

@QueryHandler(ListWebhooksQuery)
export class ListWebhooksHandler extends WebhookViews implements IQueryHandler<ListWebhooksQuery> {
  constructor(
    @Inject(ReadModelDatabase) private readonly readModels: ReadModelDatabase,
    @Inject(WebhookDelivery) delivery: WebhookDelivery,
  ) {
    super(delivery);
  }

  async execute({ workspaceId }: ListWebhooksQuery) {
    return this.toObjects(listWebhooks(this.readModels.db, workspaceId), false);
  }
}
