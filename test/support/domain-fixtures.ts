import type { Actor } from '../../src/common/actor.js';
import type { CustomMetadata, CustomMetadataChanges } from '../../src/custom-metadata/custom-metadata.js';
import type { MetadataResourceType, MetadataSet, MetadataSetCause } from '../../src/custom-metadata/metadata-set.js';

export const NOW = '2026-11-23T10:00:00.000Z';
export const LATER = '2026-11-23T11:00:00.000Z';
export const apiKey: Actor = { type: 'api_key', api_key_id: 'key-1' };
export const WORKSPACE = 'w1';

/** A MetadataSet written out in full, diff included: what the specs expect, not computed by the code under test. */
export function metadataSetEvent(fields: {
  resource_type: MetadataResourceType;
  resource_id: string;
  workspace_id?: string;
  previous: CustomMetadata;
  next: CustomMetadata;
  changes?: Partial<CustomMetadataChanges>;
  cause: MetadataSetCause;
  actor?: Actor;
  at?: string;
}): MetadataSet {
  return {
    type: 'MetadataSet',
    data: {
      resource_type: fields.resource_type,
      resource_id: fields.resource_id,
      workspace_id: fields.workspace_id ?? WORKSPACE,
      custom_metadata: fields.next,
      previous_custom_metadata: fields.previous,
      changes: { added: {}, removed: {}, changed: {}, ...fields.changes },
      cause: fields.cause,
      actor: fields.actor ?? apiKey,
      occurred_at: fields.at ?? NOW,
    },
  };
}
