import { Controller, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { Expose } from 'class-transformer';
import { IsOptional, IsString, IsUUID } from 'class-validator';
import { BoundedLength } from './string-limits.js';
import type { AppConfig } from '../common/config.js';
import { CONFIG } from '../common/tokens.js';
import { ReadYourWrites } from '../read-models/read-your-writes.js';
import {
  assertWebhookTarget,
  generateWebhookSecret,
  type WebhookCommand,
  type WebhookSelectorChange,
} from '../webhooks/index.js';
import { CreateWebhookMessage, GetWebhookQuery, ListWebhooksQuery, WebhookCommandMessage } from '../webhooks/nest.js';
import { commandMeta, CurrentCaller, type Caller } from './caller.js';
import { EventTypesParam } from './events.dto.js';
import { RawParam, SeamInput } from './seam-input.js';
import { parseCustomMetadataMatch, type EventMetadataSelector } from '../custom-metadata/custom-metadata-selector.js';
import { SeamRoute, SeamWriteRoute } from './seam-route.js';
import { IdempotencyKey, markReplayed } from './idempotency.js';
import type { IdempotentCreate } from '../event-store/idempotency-key.js';
import { answerAt } from './log-position.interceptor.js';

export class CreateWebhookDto {
  @Expose()
  @IsString()
  @BoundedLength('url')
  url!: string;

  /** Left out: every event type. */
  @EventTypesParam()
  event_types?: string[];

  @RawParam('custom_metadata_selector')
  custom_metadata_match?: unknown;

  @RawParam('custom_metadata_selector')
  connected_account_custom_metadata_match?: unknown;
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

  /** null removes it. */
  @RawParam('custom_metadata_selector')
  custom_metadata_match?: unknown;

  @RawParam('custom_metadata_selector')
  connected_account_custom_metadata_match?: unknown;
}

/** Webhooks: each change decided on the webhook's stream, acknowledged once readable. */
@Controller()
export class WebhooksController {
  constructor(
    @Inject(CommandBus) private readonly commandBus: CommandBus,
    @Inject(QueryBus) private readonly queryBus: QueryBus,
    @Inject(ReadYourWrites) private readonly readYourWrites: ReadYourWrites,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  @SeamWriteRoute('webhooks/create', ['POST'])
  async create(
    @CurrentCaller() caller: Caller,
    @SeamInput(CreateWebhookDto) input: CreateWebhookDto,
    @IdempotencyKey() idempotency: IdempotentCreate | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await assertWebhookTarget(input.url, this.config.webhooks);
    const { webhookId, replayed, position } = await this.commandBus.execute(
      new CreateWebhookMessage(
        {
          type: 'CreateWebhook',
          workspaceId: caller.workspaceId,
          url: input.url,
          eventTypes: input.event_types ?? null,
          ...selectorOf(input),
          secret: generateWebhookSecret(),
          ...commandMeta(caller),
        },
        idempotency,
      ),
    );
    const webhook = await this.queryBus.execute(new GetWebhookQuery(caller.workspaceId, webhookId));
    markReplayed(reply, replayed);
    return answerAt(position, { webhook, ok: true });
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
    const position = await this.change({
      type: 'UpdateWebhook',
      webhookId: input.webhook_id,
      workspaceId: caller.workspaceId,
      url: input.url,
      eventTypes: input.event_types,
      ...selectorChangeOf(input),
      ...commandMeta(caller),
    });
    return answerAt(position, { ok: true });
  }

  /**
   * An extension: a new signing secret, answered once here. For a grace period (24 h) deliveries carry
   * signatures by both, so receivers can move to the new secret without missing or refusing one.
   */
  @SeamWriteRoute('webhooks/rotate_secret', ['POST'])
  async rotateSecret(@CurrentCaller() caller: Caller, @SeamInput(WebhookIdDto) input: WebhookIdDto) {
    const position = await this.change({
      type: 'RotateWebhookSecret',
      webhookId: input.webhook_id,
      workspaceId: caller.workspaceId,
      secret: generateWebhookSecret(),
      ...commandMeta(caller),
    });
    const webhook = await this.queryBus.execute(new GetWebhookQuery(caller.workspaceId, input.webhook_id));
    return answerAt(position, { webhook, ok: true });
  }

  @SeamWriteRoute('webhooks/delete', ['DELETE', 'POST'])
  async delete(@CurrentCaller() caller: Caller, @SeamInput(WebhookIdDto) input: WebhookIdDto) {
    const position = await this.change({
      type: 'DeleteWebhook',
      webhookId: input.webhook_id,
      workspaceId: caller.workspaceId,
      ...commandMeta(caller),
    });
    return answerAt(position, { ok: true });
  }

  /** A change, answered once readable: the position it reached. */
  private async change(command: Exclude<WebhookCommand, { type: 'CreateWebhook' }>): Promise<number> {
    const { position } = await this.commandBus.execute(new WebhookCommandMessage(command));
    await this.readYourWrites.waitFor(position);
    return position;
  }
}

type SelectorInput = { custom_metadata_match?: unknown; connected_account_custom_metadata_match?: unknown };
const SELECTOR_PARTS = ['custom_metadata_match', 'connected_account_custom_metadata_match'] as const;

/** A new webhook's selector, validated; none when it names neither part. */
function selectorOf(input: SelectorInput): { metadataSelector?: EventMetadataSelector } {
  const selector: EventMetadataSelector = {};
  for (const part of SELECTOR_PARTS)
    if (input[part] !== undefined) selector[part] = parseCustomMetadataMatch(input[part], part);
  return Object.keys(selector).length > 0 ? { metadataSelector: selector } : {};
}

/** An update's change of the selector: each part given replaces the webhook's, null removes it. */
function selectorChangeOf(input: SelectorInput): { metadataSelector?: WebhookSelectorChange } {
  const change: WebhookSelectorChange = {};
  for (const part of SELECTOR_PARTS) {
    const value = input[part];
    if (value !== undefined) change[part] = value === null ? null : parseCustomMetadataMatch(value, part);
  }
  return Object.keys(change).length > 0 ? { metadataSelector: change } : {};
}
