import type { SqliteValue } from '../common/sqlite.js';
import type { CustomMetadata } from '../custom-metadata/custom-metadata.js';
import type { CustomMetadataMatch } from '../custom-metadata/custom-metadata-selector.js';
import type { MetadataResourceType } from '../custom-metadata/metadata-set.js';

/** A resource table listed by the API: `workspace_id`, `created_position` and the id column it is keyed by. */
export interface ListedTable {
  table: string;
  idColumn: string;
  resourceType: MetadataResourceType;
  /** Its rowid is `created_position` (`created_position INTEGER PRIMARY KEY`): a page's rows are found by it. */
  keyedByPosition?: boolean;
  /** Columns to return besides `custom_metadata` and `created_position`, read through the alias `r`. */
  columns: string;
  /**
   * What `search` matches part of, besides the resource's custom-metadata values: SQL on the row alias given.
   * The search index (search-index.ts) keeps their text.
   */
  searchable: (row: string) => readonly string[];
}

/** What every list route filters by; `where` and `params` are the resource's own conditions, on the alias `r`. */
export interface ListFilter {
  customMetadataHas?: CustomMetadata;
  /** The extension `custom_metadata_match`: ANDed with `custom_metadata_has`. */
  customMetadataMatch?: CustomMetadataMatch;
  /** Seam's `search`: a partial match of the table's `searchable` fields or of a custom-metadata value. */
  search?: string;
  where?: string[];
  params?: SqliteValue[];
  /** A filter on what no resource here has (a space, a user identity, a location): nothing matches, as at Seam. */
  matchesNothing?: boolean;
  /** The extension `as_of` (epoch ms): the resources as they were then, read from their history (list-as-of.ts). */
  asOf?: number;
}
