import { Module } from '@nestjs/common';
import {
  ConnectedAccountCommandHandler,
  GetConnectedAccountHandler,
  ListConnectedAccountsHandler,
} from './connected-accounts.cqrs.js';

@Module({ providers: [ConnectedAccountCommandHandler, GetConnectedAccountHandler, ListConnectedAccountsHandler] })
export class ConnectedAccountsModule {}
