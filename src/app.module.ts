import { Module, type DynamicModule } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { AuditModule } from './audit/nest.js';
import type { AppConfig } from './common/config.js';
import { CompletionModule } from './completion/nest.js';
import { ConnectWebviewsModule } from './connect-webviews/nest.js';
import { ConnectedAccountsModule } from './connected-accounts/nest.js';
import { CoreModule } from './core.module.js';
import { DevicesModule } from './devices/nest.js';
import { ErasureModule } from './erasure/nest.js';
import { EventsModule } from './events/nest.js';
import { HttpModule } from './http/http.module.js';
import { MetadataGovernanceModule } from './metadata-governance/nest.js';
import { WebhooksModule } from './webhooks/nest.js';
import { WorkspacesModule } from './workspaces/nest.js';

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
        WorkspacesModule,
        ErasureModule,
        MetadataGovernanceModule,
        HttpModule,
      ],
    };
  }
}
