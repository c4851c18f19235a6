import { Module } from '@nestjs/common';
import { MetadataKeyInventoryHandler, MetadataSchemaReportHandler } from './governance.cqrs.js';

/** Governing metadata (an extension): the compliance report of a workspace's schemas, and its key inventory. */
@Module({ providers: [MetadataSchemaReportHandler, MetadataKeyInventoryHandler] })
export class MetadataGovernanceModule {}
