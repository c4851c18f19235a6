import { Module } from '@nestjs/common';
import { ConnectedAccountsController } from '../connected-accounts/connected-accounts.controller.js';
import {
  DisconnectConnectedAccountHandler,
  GetConnectedAccountHandler,
  ListConnectedAccountsHandler,
  UpdateConnectedAccountHandler,
} from '../connected-accounts/connected-accounts.cqrs.js';
import { DevicesController } from '../devices/devices.controller.js';
import { GetDeviceHandler, ListDevicesHandler, UpdateDeviceHandler } from '../devices/devices.cqrs.js';
import { CompleteConnectWebviewHandler } from './complete-connect-webview.js';
import { CompletionController } from './completion.controller.js';

/** What a webview's completion brings: the completion itself, connected accounts and devices. */
@Module({
  controllers: [CompletionController, ConnectedAccountsController, DevicesController],
  providers: [
    CompleteConnectWebviewHandler,
    UpdateConnectedAccountHandler,
    DisconnectConnectedAccountHandler,
    GetConnectedAccountHandler,
    ListConnectedAccountsHandler,
    UpdateDeviceHandler,
    GetDeviceHandler,
    ListDevicesHandler,
  ],
})
export class CompletionModule {}
