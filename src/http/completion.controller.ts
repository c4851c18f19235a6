import { Controller, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { Expose } from 'class-transformer';
import { IsEmail, IsIn, IsOptional, IsString, IsUUID } from 'class-validator';
import { BoundedLength } from './string-limits.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LoginFailed, LoginLocked, SandboxOnly } from '../common/domain-errors.js';
import type { AppConfig } from '../common/config.js';
import { CONFIG } from '../common/tokens.js';
import { toSeamError } from './error-response.js';
import { assertSameOrigin } from './same-origin.js';
import { CompleteConnectWebviewMessage } from '../completion/nest.js';
import {
  endUserMayOpen,
  findConnectWebviewAnyWorkspace,
  WebviewTokens,
  type ConnectWebviewRecord,
} from '../connect-webviews/index.js';
import { GetConnectWebviewQuery } from '../connect-webviews/nest.js';
import { commandMeta, CurrentCaller, type Caller } from './caller.js';
import { SeamInput } from './seam-input.js';
import { PublicRoute, SeamRoute, SeamWriteRoute } from './seam-route.js';
import { SUPPORTED_PROVIDERS, type Provider } from '../providers/providers.js';
import { ReadModelDatabase } from '../read-models/read-model-database.js';
import { HOSTED_PAGE_HEADERS, HOSTED_PAGE_PATH, hostedPage, hostedSuccessPage } from './hosted-page.js';
import { answerAt } from './log-position.interceptor.js';

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
  @BoundedLength('email')
  email!: string;

  @Expose()
  @IsOptional()
  @IsString()
  @BoundedLength('password')
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
  @BoundedLength('auth_token')
  auth_token?: string;
}

export class EndUserCompletionDto extends CompleteConnectWebviewDto {
  @Expose()
  @IsOptional()
  @IsString()
  @BoundedLength('auth_token')
  auth_token?: string;
}

@Controller()
export class CompletionController {
  constructor(
    @Inject(CommandBus) private readonly commandBus: CommandBus,
    @Inject(QueryBus) private readonly queryBus: QueryBus,
    @Inject(ReadModelDatabase) private readonly readModels: ReadModelDatabase,
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(WebviewTokens) private readonly tokens: WebviewTokens,
  ) {}

  /** Sandbox only: completes a webview as if the end user had logged in (password defaults to 1234). */
  @SeamWriteRoute('connect_webviews/simulate/complete', ['POST'])
  async simulateComplete(
    @CurrentCaller() caller: Caller,
    @SeamInput(CompleteConnectWebviewDto) input: CompleteConnectWebviewDto,
  ) {
    if (!caller.isSandbox) throw new SandboxOnly('Only sandbox workspaces can simulate a completion');
    const { position } = await this.commandBus.execute(
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
    return answerAt(position, { connect_webview, ok: true });
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
    // The token it was opened with goes into the form (a derived one is in no record).
    const webview =
      found && this.mayOpen(found, input.auth_token) ? { ...found, auth_token: input.auth_token } : undefined;
    void reply.headers(HOSTED_PAGE_HEADERS);
    if (!webview) void reply.status(404);
    return hostedPage(webview);
  }

  /** The page's form, posted without JavaScript: answers with the outcome as a page. */
  @Post(HOSTED_PAGE_PATH)
  @HttpCode(200)
  @PublicRoute()
  async submit(
    @SeamInput(EndUserCompletionDto) input: EndUserCompletionDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    assertSameOrigin(request, this.config.publicUrl);
    void reply.headers(HOSTED_PAGE_HEADERS);
    const found = findConnectWebviewAnyWorkspace(this.readModels.db, input.connect_webview_id);
    // The token it was opened with goes into the form (a derived one is in no record).
    const webview =
      found && this.mayOpen(found, input.auth_token) ? { ...found, auth_token: input.auth_token } : undefined;
    if (!webview) {
      void reply.status(404);
      return hostedPage(undefined);
    }
    try {
      await this.completeAsEndUser(input);
    } catch (error) {
      if (!(error instanceof LoginFailed) && !(error instanceof LoginLocked)) throw error;
      const refusal = toSeamError(error);
      void reply.status(refusal.status).headers(refusal.headers ?? {});
      return hostedPage(webview, error.message);
    }
    if (webview.custom_redirect_url) {
      void reply.status(303).header('location', webview.custom_redirect_url);
      return '';
    }
    return hostedSuccessPage();
  }

  @SeamRoute('connect_webviews/view/complete', ['POST'])
  @PublicRoute()
  async viewComplete(@SeamInput(EndUserCompletionDto) input: EndUserCompletionDto, @Req() request: FastifyRequest) {
    assertSameOrigin(request, this.config.publicUrl);
    // Failed logins are bounded per webview, in its own stream (LOGIN_FAILURES_PER_WEBVIEW): see its decider.
    await this.completeAsEndUser(input);
    return { ok: true };
  }

  private mayOpen(webview: ConnectWebviewRecord, authToken: string | undefined): boolean {
    return endUserMayOpen(webview, authToken, {
      now: new Date().toISOString(),
      ...this.config.hostedLogin,
      derivedToken: this.tokens.tokenFor(webview.connect_webview_id),
    });
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
