import { Module } from '@nestjs/common';
import {
  ConnectWebviewCommandHandler,
  CreateConnectWebviewHandler,
  GetConnectWebviewHandler,
  ListConnectWebviewsHandler,
} from './connect-webviews.cqrs.js';

@Module({
  providers: [
    ConnectWebviewCommandHandler,
    CreateConnectWebviewHandler,
    GetConnectWebviewHandler,
    ListConnectWebviewsHandler,
  ],
})
export class ConnectWebviewsModule {}
