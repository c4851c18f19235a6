import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { EVENT_STORE } from '../common/tokens.js';
import type { EventStore } from '../event-store/event-store.js';
import { page, type PageRequest, type Pagination } from '../read-models/pagination.js';
import {
  customMetadataHistoryAfter,
  erasedAt,
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
