import { Module } from '@nestjs/common';
import { CreateWorkspaceHandler, IssueApiKeyHandler, RevokeApiKeyHandler } from './workspaces.cqrs.js';

/** Workspaces and their keys are made by the CLI and a first start, not by HTTP: only command handlers. */
@Module({ providers: [CreateWorkspaceHandler, IssueApiKeyHandler, RevokeApiKeyHandler] })
export class WorkspacesModule {}
