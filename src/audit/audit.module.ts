import { Module } from '@nestjs/common';
import { CustomMetadataHistoryHandler } from './audit.cqrs.js';

@Module({ providers: [CustomMetadataHistoryHandler] })
export class AuditModule {}
