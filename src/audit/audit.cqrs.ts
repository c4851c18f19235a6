import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { EVENT_STORE } from '../common/tokens.js';
import { EventStoreUnavailableError, type EventStore } from '../event-store/event-store.js';
import { page, type PageRequest, type Pagination } from '../read-models/pagination.js';
import { DeciderCommandHandler } from '../event-store/decider-command-handler.js';
import { connectWebviewDecider } from '../connect-webviews/index.js';
import { connectedAccountDecider } from '../connected-accounts/index.js';
import { deviceDecider } from '../devices/index.js';
import {
  customMetadataHistoryAfter,
  erasedAt,
  streamOf,
  type AuditedResource,
  type CustomMetadataHistoryEntry,
} from './audit.js';

export class CustomMetadataHistoryQuery extends Query<{
  entries: CustomMetadataHistoryEntry[];
  pagination: Pagination;
  /** When the resource was deleted and its data erased; null if it was not. */
  erasedAt: string | null;
}> {
  constructor(
    readonly workspaceId: string,
    readonly resource: AuditedResource,
    readonly page: PageRequest,
    readonly nextPageUrl: (cursor: string) => string,
  ) {
    super();
  }
}

/** Oldest first, paginated by stream revision. */
@QueryHandler(CustomMetadataHistoryQuery)
export class CustomMetadataHistoryHandler implements IQueryHandler<CustomMetadataHistoryQuery> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ workspaceId, resource, page: request, nextPageUrl }: CustomMetadataHistoryQuery) {
    const after = request.continueAfter ?? -1;
    const rows = await customMetadataHistoryAfter(this.store, resource, workspaceId, after, request.limit + 1);
    const { items, pagination } = page(rows, request, (entry) => entry.revision, nextPageUrl);
    return { entries: items, pagination, erasedAt: await erasedAt(this.store, resource) };
  }
}

/**
 * A resource's current metadata revision (MetadataRevision): what its get answers carry in
 * `seam-custom-metadata-revision`. Read from its decider's state, the very value a compare-and-set update is
 * checked against; the caller has already found the resource in its workspace. Null when it has none, and
 * when the log cannot be read: a get is served from the read models while the event store is down, and
 * answers then without the header rather than not at all.
 */
export class CustomMetadataRevisionQuery extends Query<number | null> {
  constructor(readonly resource: AuditedResource) {
    super();
  }
}

@QueryHandler(CustomMetadataRevisionQuery)
export class CustomMetadataRevisionHandler implements IQueryHandler<CustomMetadataRevisionQuery> {
  constructor(@Inject(DeciderCommandHandler) private readonly commands: DeciderCommandHandler) {}

  async execute({ resource }: CustomMetadataRevisionQuery): Promise<number | null> {
    try {
      return await this.revisionOf(resource);
    } catch (error) {
      if (error instanceof EventStoreUnavailableError) return null;
      throw error;
    }
  }

  private async revisionOf(resource: AuditedResource): Promise<number | null> {
    const streamId = streamOf(resource);
    switch (resource.type) {
      case 'device':
        return (await this.commands.state({ decider: deviceDecider, streamId })).customMetadataRevision;
      case 'connected_account':
        return (await this.commands.state({ decider: connectedAccountDecider, streamId })).customMetadataRevision;
      case 'connect_webview':
        return (await this.commands.state({ decider: connectWebviewDecider, streamId })).customMetadataRevision;
    }
  }
}
