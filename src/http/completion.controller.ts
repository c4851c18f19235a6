import { Controller, Get, Inject, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { Expose } from 'class-transformer';
import { IsEmail, IsIn, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { SandboxOnly } from '../common/domain-errors.js';
import { CompleteConnectWebviewMessage } from '../completion/index.js';
import { endUserMayOpen, findConnectWebviewAnyWorkspace, GetConnectWebviewQuery } from '../connect-webviews/index.js';
import { commandMeta, CurrentCaller, type Caller } from './caller.js';
import { SeamInput } from './seam-input.js';
import { PublicRoute, SeamRoute } from './seam-route.js';
import { SUPPORTED_PROVIDERS, type Provider } from '../providers/providers.js';
import { ReadModelDatabase } from '../read-models/read-model-database.js';
import { HOSTED_PAGE_HEADERS, HOSTED_PAGE_PATH, hostedPage } from './hosted-page.js';

export class CompleteConnectWebviewDto {
  @Expose()
  @IsUUID('all')
  connect_webview_id!: string;

  @Expose()
  @IsOptional()
  @IsIn(SUPPORTED_PROVIDERS)
  provider?: Provider;

  @Expose()
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @Expose()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  password?: string;
}

export class ViewConnectWebviewDto {
  @Expose()
  @IsUUID('all')
  connect_webview_id!: string;

  /** The token in the webview's `url`. */
  @Expose()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  auth_token?: string;
}

export class EndUserCompletionDto extends CompleteConnectWebviewDto {
  @Expose()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  auth_token?: string;
}

@Controller()
export class CompletionController {
  constructor(
    @Inject(CommandBus) private readonly commandBus: CommandBus,
    @Inject(QueryBus) private readonly queryBus: QueryBus,
    @Inject(ReadModelDatabase) private readonly readModels: ReadModelDatabase,
  ) {}

  /** Sandbox only: completes a webview as if the end user had logged in (password defaults to 1234). */
  @SeamRoute('connect_webviews/simulate/complete', ['POST'])
  async simulateComplete(
    @CurrentCaller() caller: Caller,
    @SeamInput(CompleteConnectWebviewDto) input: CompleteConnectWebviewDto,
  ) {
    if (!caller.isSandbox) throw new SandboxOnly('Only sandbox workspaces can simulate a completion');
    await this.commandBus.execute(
      new CompleteConnectWebviewMessage({
        connectWebviewId: input.connect_webview_id,
        workspaceId: caller.workspaceId,
        provider: input.provider,
        email: input.email,
        password: input.password ?? '1234',
        ...commandMeta(caller),
      }),
    );
    const connect_webview = await this.queryBus.execute(
      new GetConnectWebviewQuery(caller.workspaceId, input.connect_webview_id),
    );
    return { connect_webview, ok: true };
  }

  /** The page at a webview's `url`, for the end user: no API key. */
  @Get(HOSTED_PAGE_PATH)
  @PublicRoute()
  view(
    @SeamInput(ViewConnectWebviewDto) input: ViewConnectWebviewDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    // A wrong or missing token is told apart from an unknown webview by nothing.
    const found = findConnectWebviewAnyWorkspace(this.readModels.db, input.connect_webview_id);
    const webview = found && endUserMayOpen(found, input.auth_token) ? found : undefined;
    void reply.headers(HOSTED_PAGE_HEADERS);
    if (!webview) void reply.status(404);
    return hostedPage(webview);
  }

  @SeamRoute('connect_webviews/view/complete', ['POST'])
  @PublicRoute()
  async viewComplete(@SeamInput(EndUserCompletionDto) input: EndUserCompletionDto) {
    // Failed logins are bounded per webview, in its own stream (LOGIN_FAILURES_PER_WEBVIEW): see its decider.
    await this.completeAsEndUser(input);
    return { ok: true };
  }

  private async completeAsEndUser(input: EndUserCompletionDto): Promise<void> {
    await this.commandBus.execute(
      new CompleteConnectWebviewMessage({
        connectWebviewId: input.connect_webview_id,
        workspaceId: null,
        authToken: input.auth_token,
        provider: input.provider,
        email: input.email,
        password: input.password ?? '',
        actor: { type: 'end_user', connect_webview_id: input.connect_webview_id },
        now: new Date().toISOString(),
      }),
    );
  }
}
