import { applyDecorators } from '@nestjs/common';
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
