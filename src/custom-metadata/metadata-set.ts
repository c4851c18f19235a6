import type { Actor } from '../common/actor.js';
import { diffCustomMetadata, hasChanges, type CustomMetadata, type CustomMetadataChanges } from './custom-metadata.js';

/**
 * `MetadataSet`: the one event type that records a resource's metadata, in every resource's stream.
 * It carries the result and the previous value, so history and as-of reads need no other event.
 */
export type MetadataSetCause =
  | { type: 'created' }
  | { type: 'api_update' }
  | { type: 'webview_inherited'; connect_webview_id: string }
  | { type: 'webview_replaced'; connect_webview_id: string };

export type MetadataResourceType = 'connect_webview' | 'connected_account' | 'device';

export interface MetadataSetData {
  resource_type: MetadataResourceType;
  resource_id: string;
  workspace_id: string;
  custom_metadata: CustomMetadata;
  previous_custom_metadata: CustomMetadata;
  changes: CustomMetadataChanges;
  cause: MetadataSetCause;
  actor: Actor;
  occurred_at: string;
}

export interface MetadataSet {
  type: 'MetadataSet';
  data: MetadataSetData;
}

export function metadataSet(
  resource: { resource_type: MetadataResourceType; resource_id: string; workspace_id: string },
  previous: CustomMetadata,
  next: CustomMetadata,
  cause: MetadataSetCause,
  actor: Actor,
  occurredAt: string,
): MetadataSet {
  return {
    type: 'MetadataSet',
    data: {
      ...resource,
      custom_metadata: next,
      previous_custom_metadata: previous,
      changes: diffCustomMetadata(previous, next),
      cause,
      actor,
      occurred_at: occurredAt,
    },
  };
}

/**
 * An API update's MetadataSet, or none when the result equals what was there: an update that changes
 * nothing records nothing.
 */
export function metadataUpdated(
  resource: { resource_type: MetadataResourceType; resource_id: string; workspace_id: string },
  previous: CustomMetadata,
  next: CustomMetadata,
  actor: Actor,
  occurredAt: string,
): MetadataSet[] {
  const event = metadataSet(resource, previous, next, { type: 'api_update' }, actor, occurredAt);
  return hasChanges(event.data.changes) ? [event] : [];
}
