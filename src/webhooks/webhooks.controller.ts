import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Controller, Inject, Injectable, Logger, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CommandBus, Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { Expose } from 'class-transformer';
import { IsArray, IsIn, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { notFound } from '../common/seam-error.js';
import type { AppConfig } from '../config.js';
import { handleCommand } from '../event-store/decider.js';
import type { EventStore } from '../event-store/event-store.js';
import { streams } from '../event-store/streams.js';
import { PUBLIC_EVENT_TYPES } from '../events/public-events.js';
import { actorOf, CurrentCaller, type Caller } from '../http/caller.js';
import { SeamInput, ToArray } from '../http/seam-input.js';
import { SeamRoute } from '../http/seam-route.js';
import { ReadModelDatabase } from '../read-models/read-model-database.js';
import { ReadYourWrites } from '../read-models/read-your-writes.js';
import { CONFIG, EVENT_STORE } from '../tokens.js';
import { webhookDecider, type WebhookCommand } from './webhook.js';
import { findWebhook, listWebhooks, type WebhookRecord } from './webhook.projection.js';
import { generateWebhookSecret } from './webhook-signing.js';
import { assertWebhookTarget } from './webhook-target.js';
import { DeliveryStore, WebhookDispatcher } from './webhook-dispatcher.js';

export class CreateWebhookDto {
  @Expose() @IsString() @MaxLength(2000)
  url!: string;

  /** Left out: every event type. */
  @Expose() @ToArray() @IsOptional() @IsArray() @IsIn(PUBLIC_EVENT_TYPES, { each: true })
  event_types?: string[];
}

export class WebhookIdDto {
  @Expose() @IsUUID('all')
  webhook_id!: string;
}

export class UpdateWebhookDto extends WebhookIdDto {
  @Expose() @IsOptional() @IsString() @MaxLength(2000)
  url?: string;

  @Expose() @ToArray() @IsOptional() @IsArray() @IsIn(PUBLIC_EVENT_TYPES, { each: true })
  event_types?: string[];
}

/** Create, update and delete: one command, decided on the webhook's stream, acknowledged once readable. */
export class ChangeWebhookCommand extends Command<void> {
  constructor(readonly command: WebhookCommand, readonly caller: Caller) {
    super();
  }
}

@CommandHandler(ChangeWebhookCommand)
export class ChangeWebhookHandler implements ICommandHandler<ChangeWebhookCommand> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(ReadYourWrites) private readonly readYourWrites: ReadYourWrites,
  ) {}

  async execute({ command, caller }: ChangeWebhookCommand) {
    const { position } = await handleCommand(this.store, streams.webhook(command.webhookId), webhookDecider, command, { actor: actorOf(caller) });
    await this.readYourWrites.waitFor(position);
  }
}

@Injectable()
export class WebhookDelivery implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly dispatcher: WebhookDispatcher;
  private readonly deliveries: DeliveryStore;

  constructor(
    @Inject(ReadModelDatabase) readModels: ReadModelDatabase,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {
    this.deliveries = new DeliveryStore(join(config.dataDir, 'deliveries.db'));
    this.dispatcher = new WebhookDispatcher(readModels, this.deliveries, config.webhooks, new Logger('Webhooks'));
  }

  onApplicationBootstrap(): void {
    if (this.config.webhooks.deliver) this.dispatcher.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.dispatcher.stop();
    this.deliveries.close();
  }
}

@Controller()
export class WebhooksController {
  constructor(
    @Inject(CommandBus) private readonly commandBus: CommandBus,
    @Inject(ReadModelDatabase) private readonly readModels: ReadModelDatabase,
    @Inject(WebhookDelivery) private readonly delivery: WebhookDelivery,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  @SeamRoute('webhooks/create', ['POST'])
  async create(@CurrentCaller() caller: Caller, @SeamInput(CreateWebhookDto) input: CreateWebhookDto) {
    await assertWebhookTarget(input.url, this.config.webhooks.allowPrivateTargets);
    const webhookId = randomUUID();
    await this.commandBus.execute(
      new ChangeWebhookCommand(
        {
          type: 'CreateWebhook',
          webhookId,
          workspaceId: caller.workspaceId,
          url: input.url,
          eventTypes: input.event_types ?? null,
          secret: generateWebhookSecret(),
          now: new Date().toISOString(),
        },
        caller,
      ),
    );
    return { webhook: this.view(this.find(caller, webhookId), true), ok: true };
  }

  @SeamRoute('webhooks/get', ['GET', 'POST'])
  get(@CurrentCaller() caller: Caller, @SeamInput(WebhookIdDto) input: WebhookIdDto) {
    return { webhook: this.view(this.find(caller, input.webhook_id), true), ok: true };
  }

  @SeamRoute('webhooks/list', ['GET', 'POST'])
  list(@CurrentCaller() caller: Caller) {
    return { webhooks: listWebhooks(this.readModels.db, caller.workspaceId).map((w) => this.view(w, false)), ok: true };
  }

  @SeamRoute('webhooks/update', ['PATCH', 'PUT', 'POST'])
  async update(@CurrentCaller() caller: Caller, @SeamInput(UpdateWebhookDto) input: UpdateWebhookDto) {
    if (input.url !== undefined) await assertWebhookTarget(input.url, this.config.webhooks.allowPrivateTargets);
    await this.commandBus.execute(
      new ChangeWebhookCommand(
        { type: 'UpdateWebhook', webhookId: input.webhook_id, workspaceId: caller.workspaceId, url: input.url, eventTypes: input.event_types },
        caller,
      ),
    );
    return { ok: true };
  }

  @SeamRoute('webhooks/delete', ['DELETE', 'POST'])
  async delete(@CurrentCaller() caller: Caller, @SeamInput(WebhookIdDto) input: WebhookIdDto) {
    await this.commandBus.execute(new ChangeWebhookCommand({ type: 'DeleteWebhook', webhookId: input.webhook_id, workspaceId: caller.workspaceId }, caller));
    return { ok: true };
  }

  private find(caller: Caller, webhookId: string): WebhookRecord {
    const webhook = findWebhook(this.readModels.db, caller.workspaceId, webhookId);
    if (!webhook) throw notFound('webhook', 'webhook_id', webhookId);
    return webhook;
  }

  /** Seam's webhook object, with its delivery state. The secret is shown on create and get, not in lists. */
  private view(webhook: WebhookRecord, withSecret: boolean) {
    return {
      webhook_id: webhook.webhook_id,
      url: webhook.url,
      event_types: webhook.event_types ?? [...PUBLIC_EVENT_TYPES],
      ...(withSecret ? { secret: webhook.secret } : {}),
      created_at: webhook.created_at,
      delivery: this.delivery.dispatcher.deliveryOf(webhook),
    };
  }
}

@Module({ controllers: [WebhooksController], providers: [ChangeWebhookHandler, WebhookDelivery] })
export class WebhooksModule {}
