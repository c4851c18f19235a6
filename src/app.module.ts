import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import type { AppConfig } from './config.js';
import { AuditModule } from './audit/audit.module.js';
import { CompletionModule } from './completion/completion.module.js';
import { EventsController, ListEventsHandler } from './events/events.controller.js';
import { WebhooksModule } from './webhooks/webhooks.controller.js';
import { ConnectWebviewsModule } from './connect-webviews/connect-webviews.module.js';
import { CoreModule } from './core.module.js';
import { HealthController } from './health/health.controller.js';
import { ApiKeyGuard, MethodGuard } from './http/guards.js';
import { SeamExceptionFilter } from './http/seam-exception.filter.js';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [CqrsModule.forRoot(), CoreModule.forRoot(config), ConnectWebviewsModule, CompletionModule, AuditModule, WebhooksModule],
      controllers: [HealthController, EventsController],
      providers: [
        ListEventsHandler,
        // Global guards run in this order: a wrong method is refused before the key is looked at.
        { provide: APP_GUARD, useClass: MethodGuard },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: APP_FILTER, useClass: SeamExceptionFilter },
      ],
    };
  }
}
