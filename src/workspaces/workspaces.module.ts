import { Module } from '@nestjs/common';
import {
  CreateWorkspaceHandler,
  GetCustomMetadataSchemaHandler,
  IssueApiKeyHandler,
  RevokeApiKeyHandler,
  SetCustomMetadataSchemaHandler,
} from './workspaces.cqrs.js';

/**
 * Workspaces and their keys are made by the CLI and a first start, not by HTTP; a workspace's metadata
 * schemas are set and read through HTTP (`custom_metadata/schemas/*`).
 */
@Module({
  providers: [
    CreateWorkspaceHandler,
    IssueApiKeyHandler,
    RevokeApiKeyHandler,
    SetCustomMetadataSchemaHandler,
    GetCustomMetadataSchemaHandler,
  ],
})
export class WorkspacesModule {}
