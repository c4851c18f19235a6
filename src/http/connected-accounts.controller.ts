import { Controller, Inject } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { Expose } from 'class-transformer';
import { IsBoolean, IsEmail, IsIn, IsOptional, IsString, IsUUID, Length, MinLength, ValidateIf } from 'class-validator';
import { PROVIDER_CAPABILITIES, type ProviderCapability } from '../providers/providers.js';
import { BoundedLength, TimeParam } from './string-limits.js';
import { SandboxOnly } from '../common/domain-errors.js';
import { invalidInput } from './seam-error.js';
import type { AppConfig } from '../common/config.js';
import { parseCustomMetadataInput } from '../custom-metadata/custom-metadata.js';
import { metadataFilters, ResourceListDto } from './metadata-filters.js';
import { commandMeta, CurrentCaller, type Caller } from './caller.js';
import { listPage } from './list-pages.js';
import {
  asOfDate,
  ForeignIdParam,
  ForeignKeyParam,
  ListParam,
  RawParam,
  SearchParam,
  SeamInput,
  Unsupported,
} from './seam-input.js';
import { SeamRoute, SeamWriteRoute } from './seam-route.js';
import { CONFIG } from '../common/tokens.js';
import { ReadYourWrites } from '../read-models/read-your-writes.js';
import {
  ConnectedAccountCommandMessage,
  GetConnectedAccountQuery,
  ListConnectedAccountsQuery,
} from '../connected-accounts/nest.js';
import { DeleteConnectedAccountCommand } from '../erasure/nest.js';
import { answerAt } from './log-position.interceptor.js';
import {
  customMetadataRevisionHeader,
  ExpectedCustomMetadataRevision,
  withCustomMetadataRevision,
} from './custom-metadata-revision.js';

export class GetConnectedAccountDto {
  @Expose()
  @ValidateIf((o: GetConnectedAccountDto) => o.email === undefined)
  @IsUUID('all')
  connected_account_id?: string;

  // Given (even as null), it must be an email: only its absence means "by connected_account_id".
  @Expose()
  @ValidateIf((o: GetConnectedAccountDto) => o.email !== undefined)
  @IsEmail()
  @BoundedLength('email')
  email?: string;

  /** ISO 8601: the account as it was at that moment (404 before it existed). */
  @Expose()
  @IsOptional()
  @TimeParam()
  as_of?: string;
}

export class ConnectedAccountIdDto {
  @Expose()
  @IsUUID('all')
  connected_account_id!: string;
}

export class DeleteConnectedAccountDto extends ConnectedAccountIdDto {
  // Seam's internal switch; a deletion here is always complete when it answers.
  @Unsupported()
  sync?: unknown;
}

export class UpdateConnectedAccountDto extends ConnectedAccountIdDto {
  /** Replaces the account's metadata entirely; checked by the custom-metadata value type. */
  @RawParam('custom_metadata')
  custom_metadata?: unknown;

  @ExpectedCustomMetadataRevision()
  expected_custom_metadata_revision?: number;

  @Expose()
  @IsOptional()
  @IsBoolean()
  automatically_manage_new_devices?: boolean;

  /** Shown instead of the login's email. */
  @Expose()
  @IsOptional()
  @IsString()
  @Length(1, 255)
  display_name?: string;

  /** Associates the account, and its devices, with that customer: once. */
  @Expose()
  @IsOptional()
  @IsString()
  @MinLength(1)
  @BoundedLength('customer_key')
  customer_key?: string;

  /** The kinds of device it takes from its provider at its next connection. */
  @ListParam()
  @IsIn(PROVIDER_CAPABILITIES, { each: true })
  accepted_capabilities?: ProviderCapability[];
}

export class ListConnectedAccountsDto extends ResourceListDto {
  @SearchParam()
  search?: string;

  /** The accounts associated with that customer. */
  @Expose()
  @IsOptional()
  @IsString()
  @BoundedLength('customer_key')
  customer_key?: string;

  // No account here belongs to a user identity or a space: these match nothing, as at Seam.
  @ForeignKeyParam()
  user_identifier_key?: string;

  @ForeignIdParam()
  space_id?: string;
}

@Controller()
export class ConnectedAccountsController {
  constructor(
    @Inject(CommandBus) private readonly commandBus: CommandBus,
    @Inject(QueryBus) private readonly queryBus: QueryBus,
    @Inject(ReadYourWrites) private readonly readYourWrites: ReadYourWrites,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  @SeamRoute('connected_accounts/get', ['GET', 'POST'])
  async get(@CurrentCaller() caller: Caller, @SeamInput(GetConnectedAccountDto) input: GetConnectedAccountDto) {
    if (input.connected_account_id !== undefined && input.email !== undefined) {
      throw invalidInput([{ path: ['email'], message: 'Specify either connected_account_id or email, not both' }]);
    }
    const by =
      input.connected_account_id !== undefined
        ? { connectedAccountId: input.connected_account_id }
        : { email: input.email! };
    const connected_account = await this.queryBus.execute(
      new GetConnectedAccountQuery(caller.workspaceId, by, asOfDate(input.as_of)),
    );
    const resource = {
      type: 'connected_account',
      idField: 'connected_account_id',
      id: connected_account.connected_account_id,
    } as const;
    return withCustomMetadataRevision(this.queryBus, resource, { connected_account, ok: true }, input.as_of);
  }

  @SeamRoute('connected_accounts/list', ['GET', 'POST'])
  async list(@CurrentCaller() caller: Caller, @SeamInput(ListConnectedAccountsDto) input: ListConnectedAccountsDto) {
    const { customMetadataHas, customMetadataMatch, asOf, params } = metadataFilters(input);
    const { page, nextPageUrl } = listPage(this.config, 'connected_accounts/list', { ...input, ...params });
    const { items, pagination } = await this.queryBus.execute(
      new ListConnectedAccountsQuery(
        caller.workspaceId,
        {
          customMetadataHas,
          customMetadataMatch,
          asOf,
          search: input.search,
          customerKey: input.customer_key,
          matchesNothing: input.user_identifier_key !== undefined || input.space_id !== undefined,
        },
        page,
        nextPageUrl,
      ),
    );
    return { connected_accounts: items, pagination, ok: true };
  }

  @SeamWriteRoute('connected_accounts/update', ['PATCH', 'POST'])
  async update(
    @CurrentCaller() caller: Caller,
    @SeamInput(UpdateConnectedAccountDto) input: UpdateConnectedAccountDto,
  ) {
    const customMetadata =
      input.custom_metadata === undefined ? undefined : parseCustomMetadataInput(input.custom_metadata);
    const { position, customMetadataRevision } = await this.commandBus.execute(
      new ConnectedAccountCommandMessage({
        type: 'UpdateConnectedAccount',
        connectedAccountId: input.connected_account_id,
        workspaceId: caller.workspaceId,
        customMetadata,
        settings: {
          automatically_manage_new_devices: input.automatically_manage_new_devices,
          display_name: input.display_name,
          customer_key: input.customer_key,
          accepted_capabilities: input.accepted_capabilities,
        },
        expectedCustomMetadataRevision: input.expected_custom_metadata_revision,
        ...commandMeta(caller),
      }),
    );
    await this.readYourWrites.waitFor(position);
    const connected_account = await this.queryBus.execute(
      new GetConnectedAccountQuery(caller.workspaceId, { connectedAccountId: input.connected_account_id }),
    );
    return answerAt(position, { connected_account, ok: true }, customMetadataRevisionHeader(customMetadataRevision));
  }

  /**
   * Seam's delete: the account, its devices and all their data. Their keys are destroyed, so what the log
   * holds of them is unreadable from now on (see src/erasure/).
   */
  @SeamWriteRoute('connected_accounts/delete', ['DELETE', 'POST'])
  async delete(
    @CurrentCaller() caller: Caller,
    @SeamInput(DeleteConnectedAccountDto) input: DeleteConnectedAccountDto,
  ) {
    const { position } = await this.commandBus.execute(
      new DeleteConnectedAccountCommand({
        connectedAccountId: input.connected_account_id,
        workspaceId: caller.workspaceId,
        ...commandMeta(caller),
      }),
    );
    await this.readYourWrites.waitFor(position);
    return answerAt(position, { ok: true });
  }

  /** Sandbox only: the account (and its devices) get `account_disconnected` until a webview reconnects it. */
  @SeamWriteRoute('connected_accounts/simulate/disconnect', ['POST'])
  async simulateDisconnect(
    @CurrentCaller() caller: Caller,
    @SeamInput(ConnectedAccountIdDto) input: ConnectedAccountIdDto,
  ) {
    if (!caller.isSandbox) throw new SandboxOnly('Only sandbox workspaces can simulate a disconnection');
    const { position } = await this.commandBus.execute(
      new ConnectedAccountCommandMessage({
        type: 'DisconnectConnectedAccount',
        connectedAccountId: input.connected_account_id,
        workspaceId: caller.workspaceId,
        ...commandMeta(caller),
      }),
    );
    await this.readYourWrites.waitFor(position);
    return answerAt(position, { ok: true });
  }
}
