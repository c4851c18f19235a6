import { Expose } from 'class-transformer';
import { IsOptional } from 'class-validator';
import { parseCustomMetadataFilter, type CustomMetadata } from '../custom-metadata/custom-metadata.js';
import { parseCustomMetadataMatch, type CustomMetadataMatch } from '../custom-metadata/custom-metadata-selector.js';
import { PageDto } from './page.dto.js';
import { RawParam } from './seam-input.js';
import { TimeParam } from './string-limits.js';

/**
 * What every resource list takes besides its own filters: Seam's `custom_metadata_has`, and the extensions
 * `custom_metadata_match` and `as_of`.
 */
export class ResourceListDto extends PageDto {
  @RawParam('custom_metadata_filter')
  custom_metadata_has?: unknown;

  @RawParam('custom_metadata_selector')
  custom_metadata_match?: unknown;

  /**
   * ISO 8601: the resources as they were at that moment, with every filter and page as at any other:
   * created by then, not yet deleted, with their metadata then.
   */
  @Expose()
  @IsOptional()
  @TimeParam()
  as_of?: string;
}

/**
 * The list's metadata filters, validated, and its moment. `params` is what a list's `next_page_url` and
 * page-cursor hash carry: the validated values, so that a GET and a POST of the same filter page alike.
 */
export function metadataFilters(input: ResourceListDto): {
  customMetadataHas?: CustomMetadata;
  customMetadataMatch?: CustomMetadataMatch;
  /** `as_of` in epoch milliseconds. */
  asOf?: number;
  params: { custom_metadata_has?: CustomMetadata; custom_metadata_match?: CustomMetadataMatch };
} {
  const customMetadataHas =
    input.custom_metadata_has === undefined ? undefined : parseCustomMetadataFilter(input.custom_metadata_has);
  const customMetadataMatch =
    input.custom_metadata_match === undefined ? undefined : parseCustomMetadataMatch(input.custom_metadata_match);
  return {
    customMetadataHas,
    customMetadataMatch,
    asOf: input.as_of === undefined ? undefined : Date.parse(input.as_of),
    params: {
      custom_metadata_has: customMetadataHas,
      ...(customMetadataMatch !== undefined ? { custom_metadata_match: customMetadataMatch } : {}),
    },
  };
}
