import { Module, type DynamicModule } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { AuditModule } from './audit/index.js';
import type { AppConfig } from './common/config.js';
import { CompletionModule } from './completion/index.js';
import { ConnectWebviewsModule } from './connect-webviews/index.js';
import { ConnectedAccountsModule } from './connected-accounts/index.js';
import { CoreModule } from './core.module.js';
import { DevicesModule } from './devices/index.js';
import { ErasureModule } from './erasure/index.js';
import { EventsModule } from './events/index.js';
import { HttpModule } from './http/http.module.js';
import { WebhooksModule } from './webhooks/index.js';

/** The service: the core (store, read models, consumers), each feature's handlers, and the HTTP shell. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CqrsModule.forRoot(),
        CoreModule.forRoot(config),
        ConnectWebviewsModule,
        ConnectedAccountsModule,
        DevicesModule,
        CompletionModule,
        AuditModule,
        EventsModule,
        WebhooksModule,
        ErasureModule,
        HttpModule,
      ],
    };
  }
}
