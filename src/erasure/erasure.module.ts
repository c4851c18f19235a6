import { Module } from '@nestjs/common';
import { DeleteConnectedAccountHandler } from './erasure.cqrs.js';

@Module({ providers: [DeleteConnectedAccountHandler] })
export class ErasureModule {}
