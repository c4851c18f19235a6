import { Inject } from '@nestjs/common';
import { Command, CommandHandler, Query, QueryHandler, type ICommandHandler, type IQueryHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import type { AppConfig } from '../common/config.js';
import { InvalidCommand, NotFound } from '../common/domain-errors.js';
import { KeyedLock } from '../common/keyed-lock.js';
import { CONFIG } from '../common/tokens.js';
import type { WriteResult } from '../event-store/decider.js';
import { DeciderCommandHandler } from '../event-store/decider-command-handler.js';
import type { EventStore } from '../event-store/event-store.js';
import { idempotentResourceId, replayedPosition, type IdempotentCreate } from '../event-store/idempotency-key.js';
import { ReadYourWrites } from '../read-models/read-your-writes.js';
import { streams } from '../event-store/streams.js';
import { EMITTED_SEAM_EVENT_TYPES } from '../events/index.js';
import { ReadModelDatabase } from '../read-models/read-model-database.js';
import { WebhookDelivery } from './webhook-delivery.js';
import { webhookDecider, type WebhookCommand } from './webhook.js';
import { countWebhooks, findWebhook, listWebhooks, type WebhookRecord } from './webhook.projection.js';

/** A webhook command on the command bus: the command, and nothing more. */
export class WebhookCommandMessage extends Command<WriteResult> {
  /** A create has its own message, CreateWebhookMessage: it makes the webhook's id and keeps the cap. */
  constructor(readonly command: Exclude<WebhookCommand, CreateWebhook>) {
    super();
  }
}

type CreateWebhook = Extract<WebhookCommand, { type: 'CreateWebhook' }>;

/** A create: its result names the webhook, and whether it was a retry that created nothing. */
export interface CreatedWebhook extends WriteResult {
  webhookId: string;
  replayed: boolean;
}

/** Creates a webhook; with an `Idempotency-Key`, its id is derived from the key (see CreateConnectWebviewMessage). */
export class CreateWebhookMessage extends Command<CreatedWebhook> {
  constructor(
    readonly command: Omit<CreateWebhook, 'webhookId' | 'requestHash'>,
    readonly idempotency?: IdempotentCreate,
  ) {
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
  constructor(@Inject(DeciderCommandHandler) private readonly commands: DeciderCommandHandler) {}

  async execute({ command }: WebhookCommandMessage): Promise<WriteResult> {
    const streamId = streams.webhook(command.webhookId);
    const { position } = await this.commands.handle({ decider: webhookDecider, streamId }, command);
    return { position };
  }
}

@CommandHandler(CreateWebhookMessage)
export class CreateWebhookHandler implements ICommandHandler<CreateWebhookMessage> {
  /** Counted and created one at a time per workspace, so that concurrent creates cannot pass the cap together. */
  private readonly creating = new KeyedLock();

  constructor(
    @Inject(DeciderCommandHandler) private readonly commands: DeciderCommandHandler,
    @Inject(ReadModelDatabase) private readonly readModels: ReadModelDatabase,
    @Inject(ReadYourWrites) private readonly readYourWrites: ReadYourWrites,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  private get store(): EventStore {
    return this.commands.store;
  }

  async execute({ command, idempotency }: CreateWebhookMessage): Promise<CreatedWebhook> {
    const webhookId = idempotency
      ? await idempotentResourceId(
          this.store,
          streams.webhook,
          { workspaceId: command.workspaceId, route: 'webhooks/create', key: idempotency.key },
          command.now,
        )
      : randomUUID();
    const stream = streams.webhook(webhookId);
    const target = { decider: webhookDecider, streamId: stream };
    return this.creating.run(command.workspaceId, async () => {
      // A retry of a create that succeeded is answered even at the cap: it creates nothing.
      const retried = (await this.commands.state(target)).status !== 'absent';
      const max = this.config.webhooks.maxPerWorkspace;
      if (!retried && countWebhooks(this.readModels.db, command.workspaceId) >= max) {
        throw new InvalidCommand([
          {
            path: ['url'],
            message: `This workspace already has ${max} webhooks, the most it may have (WEBHOOKS_PER_WORKSPACE): delete one first`,
          },
        ]);
      }
      const { position, events } = await this.commands.handle(target, {
        ...command,
        webhookId,
        requestHash: idempotency?.requestHash,
      });
      const replayed = events.length === 0;
      const answered = replayed ? await replayedPosition(this.store, stream) : position;
      // Readable before the lock is let go, so that the next create counts this one.
      await this.readYourWrites.waitFor(answered);
      return { position: answered, webhookId, replayed };
    });
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
      // An extension, shown only on a webhook created or updated with one: the events it selects.
      ...(webhook.metadata_selector ? { metadata_selector: webhook.metadata_selector } : {}),
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
