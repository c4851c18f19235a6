import { randomUUID } from 'node:crypto';
import { Controller, Inject } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { Expose } from 'class-transformer';
import { IsOptional, IsString, IsUUID } from 'class-validator';
import { BoundedLength } from './string-limits.js';
import type { AppConfig } from '../common/config.js';
import { CONFIG } from '../common/tokens.js';
import { ReadYourWrites } from '../read-models/read-your-writes.js';
import {
  assertWebhookTarget,
  countWebhooks,
  generateWebhookSecret,
  GetWebhookQuery,
  ListWebhooksQuery,
  WebhookCommandMessage,
  type WebhookCommand,
} from '../webhooks/index.js';
import { commandMeta, CurrentCaller, type Caller } from './caller.js';
import { EventTypesParam } from './events.dto.js';
import { SeamInput } from './seam-input.js';
import { SeamRoute, SeamWriteRoute } from './seam-route.js';
import { Idempotent } from './idempotency.js';
import { KeyedLock } from '../common/keyed-lock.js';
import { InvalidCommand } from '../common/domain-errors.js';
import { ReadModelDatabase } from '../read-models/read-model-database.js';

export class CreateWebhookDto {
  @Expose()
  @IsString()
  @BoundedLength('url')
  url!: string;

  /** Left out: every event type. */
  @EventTypesParam()
  event_types?: string[];
}

export class WebhookIdDto {
  @Expose()
  @IsUUID('all')
  webhook_id!: string;
}

export class UpdateWebhookDto extends WebhookIdDto {
  @Expose()
  @IsOptional()
  @IsString()
  @BoundedLength('url')
  url?: string;

  @EventTypesParam()
  event_types?: string[];
}

/** Webhooks: each change decided on the webhook's stream, acknowledged once readable. */
@Controller()
export class WebhooksController {
  constructor(
    @Inject(CommandBus) private readonly commandBus: CommandBus,
    @Inject(QueryBus) private readonly queryBus: QueryBus,
    @Inject(ReadYourWrites) private readonly readYourWrites: ReadYourWrites,
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(ReadModelDatabase) private readonly readModels: ReadModelDatabase,
  ) {}

  private readonly creating = new KeyedLock();

  @SeamWriteRoute('webhooks/create', ['POST'])
  @Idempotent()
  async create(@CurrentCaller() caller: Caller, @SeamInput(CreateWebhookDto) input: CreateWebhookDto) {
    await assertWebhookTarget(input.url, this.config.webhooks);
    const webhookId = randomUUID();
    // Counted and created one at a time per workspace, so that concurrent creates cannot pass the cap together.
    await this.creating.run(caller.workspaceId, async () => {
      const max = this.config.webhooks.maxPerWorkspace;
      if (countWebhooks(this.readModels.db, caller.workspaceId) >= max) {
        throw new InvalidCommand([
          {
            path: ['url'],
            message: `This workspace already has ${max} webhooks, the most it may have (WEBHOOKS_PER_WORKSPACE): delete one first`,
          },
        ]);
      }
      await this.change({
        type: 'CreateWebhook',
        webhookId,
        workspaceId: caller.workspaceId,
        url: input.url,
        eventTypes: input.event_types ?? null,
        secret: generateWebhookSecret(),
        ...commandMeta(caller),
      });
    });
    return { webhook: await this.queryBus.execute(new GetWebhookQuery(caller.workspaceId, webhookId)), ok: true };
  }

  @SeamRoute('webhooks/get', ['GET', 'POST'])
  async get(@CurrentCaller() caller: Caller, @SeamInput(WebhookIdDto) input: WebhookIdDto) {
    return {
      webhook: await this.queryBus.execute(new GetWebhookQuery(caller.workspaceId, input.webhook_id)),
      ok: true,
    };
  }

  @SeamRoute('webhooks/list', ['GET', 'POST'])
  async list(@CurrentCaller() caller: Caller) {
    return { webhooks: await this.queryBus.execute(new ListWebhooksQuery(caller.workspaceId)), ok: true };
  }

  @SeamWriteRoute('webhooks/update', ['PATCH', 'PUT', 'POST'])
  async update(@CurrentCaller() caller: Caller, @SeamInput(UpdateWebhookDto) input: UpdateWebhookDto) {
    if (input.url !== undefined) await assertWebhookTarget(input.url, this.config.webhooks);
    await this.change({
      type: 'UpdateWebhook',
      webhookId: input.webhook_id,
      workspaceId: caller.workspaceId,
      url: input.url,
      eventTypes: input.event_types,
      ...commandMeta(caller),
    });
    return { ok: true };
  }

  /**
   * An extension: a new signing secret, answered once here. For a grace period (24 h) deliveries carry
   * signatures by both, so receivers can move to the new secret without missing or refusing one.
   */
  @SeamWriteRoute('webhooks/rotate_secret', ['POST'])
  async rotateSecret(@CurrentCaller() caller: Caller, @SeamInput(WebhookIdDto) input: WebhookIdDto) {
    await this.change({
      type: 'RotateWebhookSecret',
      webhookId: input.webhook_id,
      workspaceId: caller.workspaceId,
      secret: generateWebhookSecret(),
      ...commandMeta(caller),
    });
    const webhook = await this.queryBus.execute(new GetWebhookQuery(caller.workspaceId, input.webhook_id));
    return { webhook, ok: true };
  }

  @SeamWriteRoute('webhooks/delete', ['DELETE', 'POST'])
  async delete(@CurrentCaller() caller: Caller, @SeamInput(WebhookIdDto) input: WebhookIdDto) {
    await this.change({
      type: 'DeleteWebhook',
      webhookId: input.webhook_id,
      workspaceId: caller.workspaceId,
      ...commandMeta(caller),
    });
    return { ok: true };
  }

  private async change(command: WebhookCommand): Promise<void> {
    const { position } = await this.commandBus.execute(new WebhookCommandMessage(command));
    await this.readYourWrites.waitFor(position);
  }
}
