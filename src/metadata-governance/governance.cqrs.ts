import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { MetadataResourceType } from '../custom-metadata/metadata-set.js';
import { CONNECT_WEBVIEWS_LISTING } from '../connect-webviews/index.js';
import { CONNECTED_ACCOUNTS_LISTING } from '../connected-accounts/index.js';
import { DEVICES_LISTING } from '../devices/index.js';
import { DeciderCommandHandler } from '../event-store/decider-command-handler.js';
import type { ListedTable } from '../read-models/list-filter.js';
import type { PageRequest, Pagination } from '../read-models/pagination.js';
import { ReadModelDatabase } from '../read-models/read-model-database.js';
import { metadataKeyInventory, type MetadataKeyCount } from '../read-models/custom-metadata-index.js';
import { metadataSchemaReport, type NoncompliantResource } from '../read-models/schema-report.js';
import { currentWorkspace } from '../workspaces/index.js';

/** Each resource type's table, as its list routes read it. */
export const LISTED_TABLES: Record<MetadataResourceType, ListedTable> = {
  device: DEVICES_LISTING,
  connected_account: CONNECTED_ACCOUNTS_LISTING,
  connect_webview: CONNECT_WEBVIEWS_LISTING,
};

/** A page of something about a workspace's resources of one type. */
abstract class ResourceTypePageQuery<Item> extends Query<{ items: Item[]; pagination: Pagination }> {
  constructor(
    readonly workspaceId: string,
    readonly resourceType: MetadataResourceType,
    readonly page: PageRequest,
    readonly nextPageUrl: (cursor: string) => string,
  ) {
    super();
  }
}

/** `custom_metadata/schemas/report`: the resources whose current metadata breaks the current schema. */
export class MetadataSchemaReportQuery extends ResourceTypePageQuery<NoncompliantResource> {}

@QueryHandler(MetadataSchemaReportQuery)
export class MetadataSchemaReportHandler implements IQueryHandler<MetadataSchemaReportQuery> {
  constructor(
    @Inject(ReadModelDatabase) private readonly readModels: ReadModelDatabase,
    @Inject(DeciderCommandHandler) private readonly commands: DeciderCommandHandler,
  ) {}

  async execute({ workspaceId, resourceType, page, nextPageUrl }: MetadataSchemaReportQuery) {
    const schema = (await currentWorkspace(this.commands, workspaceId)).metadataSchemas[resourceType]?.schema ?? null;
    return metadataSchemaReport(
      this.readModels.db,
      LISTED_TABLES[resourceType],
      workspaceId,
      schema,
      page,
      nextPageUrl,
    );
  }
}

/** `custom_metadata/keys/list`: the workspace's keys of a resource type, each with its count and most frequent values. */
export class MetadataKeyInventoryQuery extends ResourceTypePageQuery<MetadataKeyCount> {}

@QueryHandler(MetadataKeyInventoryQuery)
export class MetadataKeyInventoryHandler implements IQueryHandler<MetadataKeyInventoryQuery> {
  constructor(@Inject(ReadModelDatabase) private readonly readModels: ReadModelDatabase) {}

  async execute({ workspaceId, resourceType, page, nextPageUrl }: MetadataKeyInventoryQuery) {
    return metadataKeyInventory(this.readModels.db, resourceType, workspaceId, page, nextPageUrl);
  }
}
