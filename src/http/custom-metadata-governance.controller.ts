import { applyDecorators, Controller, Inject } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { Expose } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional } from 'class-validator';
import type { AppConfig } from '../common/config.js';
import { CONFIG } from '../common/tokens.js';
import { parseMetadataSchema } from '../custom-metadata/metadata-schema.js';
import { METADATA_RESOURCE_TYPES, type MetadataResourceType } from '../custom-metadata/metadata-set.js';
import { MetadataKeyInventoryQuery, MetadataSchemaReportQuery } from '../metadata-governance/nest.js';
import { ReadYourWrites } from '../read-models/read-your-writes.js';
import {
  GetCustomMetadataSchemaQuery,
  SetCustomMetadataSchemaMessage,
  type CurrentMetadataSchema,
} from '../workspaces/nest.js';
import { actorOf, CurrentCaller, type Caller } from './caller.js';
import { listPage } from './list-pages.js';
import { answerAt } from './log-position.interceptor.js';
import { PageDto } from './page.dto.js';
import { RawParam, SeamInput } from './seam-input.js';
import { SeamRoute, SeamWriteRoute } from './seam-route.js';

const ResourceTypeParam = () => applyDecorators(Expose(), IsIn(METADATA_RESOURCE_TYPES));

export class MetadataSchemaGetDto {
  @ResourceTypeParam()
  resource_type!: MetadataResourceType;
}

export class MetadataSchemaUpdateDto {
  @ResourceTypeParam()
  resource_type!: MetadataResourceType;

  /** Each key's rule: checked by the schema's own rules (metadata-schema.ts). */
  @RawParam('custom_metadata_schema_keys')
  keys?: unknown;

  @Expose()
  @IsOptional()
  @IsBoolean()
  allow_other_keys?: boolean;
}

/** The report's and the inventory's: a resource type, and a page. */
export class MetadataResourcePageDto extends PageDto {
  @ResourceTypeParam()
  resource_type!: MetadataResourceType;
}

/** The answer's object: a type with no schema set has none (`updated_at: null`), and takes any metadata. */
function schemaObject({ resourceType, schema, setAt }: CurrentMetadataSchema) {
  return {
    resource_type: resourceType,
    keys: schema?.keys ?? {},
    allow_other_keys: schema?.allow_other_keys ?? true,
    updated_at: setAt,
  };
}

/**
 * Governing a workspace's metadata (extensions): its schemas set and read, what breaks them
 * (metadata-schema.ts), and the inventory of its keys (custom-metadata-index.ts).
 */
@Controller()
export class CustomMetadataGovernanceController {
  constructor(
    @Inject(CommandBus) private readonly commandBus: CommandBus,
    @Inject(QueryBus) private readonly queryBus: QueryBus,
    @Inject(ReadYourWrites) private readonly readYourWrites: ReadYourWrites,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  @SeamRoute('custom_metadata/schemas/get', ['GET', 'POST'])
  async get(@CurrentCaller() caller: Caller, @SeamInput(MetadataSchemaGetDto) input: MetadataSchemaGetDto) {
    const current = await this.queryBus.execute(
      new GetCustomMetadataSchemaQuery(caller.workspaceId, input.resource_type),
    );
    return { custom_metadata_schema: schemaObject(current), ok: true };
  }

  @SeamWriteRoute('custom_metadata/schemas/update', ['POST', 'PATCH'])
  async update(@CurrentCaller() caller: Caller, @SeamInput(MetadataSchemaUpdateDto) input: MetadataSchemaUpdateDto) {
    const schema = parseMetadataSchema({ keys: input.keys, allow_other_keys: input.allow_other_keys });
    const { position, ...current } = await this.commandBus.execute(
      new SetCustomMetadataSchemaMessage({
        workspaceId: caller.workspaceId,
        resourceType: input.resource_type,
        schema,
        actor: actorOf(caller),
      }),
    );
    await this.readYourWrites.waitFor(position);
    return answerAt(position, { custom_metadata_schema: schemaObject(current), ok: true });
  }

  @SeamRoute('custom_metadata/schemas/report', ['GET', 'POST'])
  async report(@CurrentCaller() caller: Caller, @SeamInput(MetadataResourcePageDto) input: MetadataResourcePageDto) {
    const { page, nextPageUrl } = listPage(this.config, 'custom_metadata/schemas/report', { ...input });
    const { items, pagination } = await this.queryBus.execute(
      new MetadataSchemaReportQuery(caller.workspaceId, input.resource_type, page, nextPageUrl),
    );
    return { noncompliant_resources: items, pagination, ok: true };
  }

  @SeamRoute('custom_metadata/keys/list', ['GET', 'POST'])
  async keys(@CurrentCaller() caller: Caller, @SeamInput(MetadataResourcePageDto) input: MetadataResourcePageDto) {
    const { page, nextPageUrl } = listPage(this.config, 'custom_metadata/keys/list', { ...input });
    const { items, pagination } = await this.queryBus.execute(
      new MetadataKeyInventoryQuery(caller.workspaceId, input.resource_type, page, nextPageUrl),
    );
    return { custom_metadata_keys: items, pagination, ok: true };
  }
}
