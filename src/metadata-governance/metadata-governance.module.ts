import { Module } from '@nestjs/common';
import { MetadataSchemaReportHandler } from './governance.cqrs.js';

/** Governing metadata (an extension): the compliance report of a workspace's schemas. */
@Module({ providers: [MetadataSchemaReportHandler] })
export class MetadataGovernanceModule {}
