import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { CompletionController } from './completion.controller.js';
import { ConnectWebviewsController } from './connect-webviews.controller.js';
import { ConnectedAccountsController } from './connected-accounts.controller.js';
import { CustomMetadataGovernanceController } from './custom-metadata-governance.controller.js';
import { CustomMetadataHistoryController } from './custom-metadata-history.controller.js';
import { DevicesController } from './devices.controller.js';
import { EventsStreamController } from './events-stream.controller.js';
import { EventsController } from './events.controller.js';
import { ApiKeyAuthenticator, ApiKeyGuard, MethodGuard } from './guards.js';
import { HealthController } from './health.controller.js';
import { Draining } from './draining.js';
import { LogPositionInterceptor } from './log-position.interceptor.js';
import { OpenApiController } from './openapi.controller.js';
import { SeamExceptionFilter } from './seam-exception.filter.js';
import { WebhooksController } from './webhooks.controller.js';

/** The HTTP shell: every route, the guards that run before them, and the one error filter. */
@Module({
  controllers: [
    ConnectWebviewsController,
    CompletionController,
    ConnectedAccountsController,
    DevicesController,
    CustomMetadataHistoryController,
    CustomMetadataGovernanceController,
    EventsController,
    EventsStreamController,
    WebhooksController,
    HealthController,
    OpenApiController,
  ],
  providers: [
    // Global guards run in this order: a wrong method is refused before the key is looked at.
    { provide: APP_GUARD, useClass: MethodGuard },
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    { provide: APP_FILTER, useClass: SeamExceptionFilter },
    { provide: APP_INTERCEPTOR, useClass: LogPositionInterceptor },
    ApiKeyAuthenticator,
    Draining,
  ],
  exports: [ApiKeyAuthenticator, Draining],
})
export class HttpModule {}
