import { Module } from '@nestjs/common';
import { AuditController, CustomMetadataHistoryHandler } from './audit.controller.js';

@Module({ controllers: [AuditController], providers: [CustomMetadataHistoryHandler] })
export class AuditModule {}
