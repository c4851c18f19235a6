import { Module } from '@nestjs/common';
import { DeleteConnectedAccountHandler, EraseWorkspaceHandler } from './erasure.cqrs.js';

@Module({ providers: [DeleteConnectedAccountHandler, EraseWorkspaceHandler] })
export class ErasureModule {}
