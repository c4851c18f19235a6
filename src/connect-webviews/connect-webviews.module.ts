import { Module } from '@nestjs/common';
import {
  ConnectWebviewCommandHandler,
  GetConnectWebviewHandler,
  ListConnectWebviewsHandler,
} from './connect-webviews.cqrs.js';

@Module({ providers: [ConnectWebviewCommandHandler, GetConnectWebviewHandler, ListConnectWebviewsHandler] })
export class ConnectWebviewsModule {}
