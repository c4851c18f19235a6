import { Module } from '@nestjs/common';
import { ConnectWebviewsController } from './connect-webviews.controller.js';
import {
  CreateConnectWebviewHandler,
  DeleteConnectWebviewHandler,
  GetConnectWebviewHandler,
  ListConnectWebviewsHandler,
} from './connect-webviews.cqrs.js';

@Module({
  controllers: [ConnectWebviewsController],
  providers: [CreateConnectWebviewHandler, DeleteConnectWebviewHandler, GetConnectWebviewHandler, ListConnectWebviewsHandler],
})
export class ConnectWebviewsModule {}
