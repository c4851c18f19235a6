import { Module } from '@nestjs/common';
import { CustomMetadataHistoryHandler, CustomMetadataRevisionHandler } from './audit.cqrs.js';

@Module({ providers: [CustomMetadataHistoryHandler, CustomMetadataRevisionHandler] })
export class AuditModule {}
