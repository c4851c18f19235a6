import { applyDecorators } from '@nestjs/common';
import type { QueryBus } from '@nestjs/cqrs';
import { CustomMetadataRevisionQuery } from '../audit/nest.js';
import type { AuditedResource } from '../audit/index.js';
import { answerWithHeaders, type AnswerAt } from './log-position.interceptor.js';
import { Expose } from 'class-transformer';
import { IsInt, IsOptional, Min } from 'class-validator';
import { CUSTOM_METADATA_REVISION_HEADER } from '../custom-metadata/metadata-set.js';

/**
 * `expected_custom_metadata_revision` (an extension): the revision `custom_metadata_history` and the
 * `seam-custom-metadata-revision` header show. An update that names it is refused with 409
 * `custom_metadata_revision_mismatch`, and writes nothing, unless the metadata is still at that revision.
 */
export const ExpectedCustomMetadataRevision = () => applyDecorators(Expose(), IsOptional(), IsInt(), Min(0));

/** The header a get or an update answers the resource's metadata revision in; none before its first. */
export function customMetadataRevisionHeader(revision: number | null): Record<string, string> {
  return revision === null ? {} : { [CUSTOM_METADATA_REVISION_HEADER]: String(revision) };
}

/**
 * A get's answer with the resource's current metadata revision in its header. As of a moment (`as_of`), none:
 * the revision then is in custom_metadata_history.
 */
export async function withCustomMetadataRevision<Body>(
  queryBus: QueryBus,
  resource: AuditedResource,
  body: Body,
  asOf: string | undefined,
): Promise<Body | AnswerAt<Body>> {
  if (asOf !== undefined) return body;
  const revision = await queryBus.execute(new CustomMetadataRevisionQuery(resource));
  return answerWithHeaders(body, customMetadataRevisionHeader(revision));
}
