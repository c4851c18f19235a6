import { parseCustomMetadataFilter, type CustomMetadata } from '../custom-metadata/custom-metadata.js';
import { parseCustomMetadataMatch, type CustomMetadataMatch } from '../custom-metadata/custom-metadata-selector.js';

/** The metadata filters every list route takes: Seam's `custom_metadata_has` and the extension `custom_metadata_match`. */
export interface MetadataFilterInput {
  custom_metadata_has?: unknown;
  custom_metadata_match?: unknown;
}

/**
 * Both filters, validated. `params` is what a list's `next_page_url` and page-cursor hash carry: the
 * validated values, so that a GET and a POST of the same filter page alike.
 */
export function metadataFilters(input: MetadataFilterInput): {
  customMetadataHas?: CustomMetadata;
  customMetadataMatch?: CustomMetadataMatch;
  params: { custom_metadata_has?: CustomMetadata; custom_metadata_match?: CustomMetadataMatch };
} {
  const customMetadataHas =
    input.custom_metadata_has === undefined ? undefined : parseCustomMetadataFilter(input.custom_metadata_has);
  const customMetadataMatch =
    input.custom_metadata_match === undefined ? undefined : parseCustomMetadataMatch(input.custom_metadata_match);
  return {
    customMetadataHas,
    customMetadataMatch,
    params: {
      custom_metadata_has: customMetadataHas,
      ...(customMetadataMatch !== undefined ? { custom_metadata_match: customMetadataMatch } : {}),
    },
  };
}
