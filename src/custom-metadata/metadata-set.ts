import type { Actor } from '../common/actor.js';
import { DomainError } from '../common/domain-errors.js';
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

export const METADATA_RESOURCE_TYPES = ['device', 'connected_account', 'connect_webview'] as const;
export type MetadataResourceType = (typeof METADATA_RESOURCE_TYPES)[number];

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

/**
 * Where a fold of a resource's stream is, and the stream revision of its last MetadataSet: the revision that
 * `custom_metadata_history` shows, which a compare-and-set update names (`expected_custom_metadata_revision`).
 */
export interface MetadataRevision {
  /** Events folded so far: the stream revision the next event will have. */
  eventsFolded: number;
  /** The last MetadataSet's stream revision; null before the first. */
  customMetadataRevision: number | null;
}

export const NO_METADATA_REVISION: MetadataRevision = { eventsFolded: 0, customMetadataRevision: null };

/**
 * `evolve` for a resource whose state keeps its metadata revision: the state its own `evolve` made of
 * `event` (`next`), with the fold moved on by one event. Each resource folds every event of its stream, in
 * order, so the count of events folded is the stream revision.
 */
export function withMetadataRevision<State extends MetadataRevision>(
  state: State,
  event: { type: string },
  next: State,
): State {
  return {
    ...next,
    eventsFolded: state.eventsFolded + 1,
    customMetadataRevision: event.type === 'MetadataSet' ? state.eventsFolded : state.customMetadataRevision,
  };
}

/** A compare-and-set update refused: the metadata's revision is no longer the one the caller read. */
export class CustomMetadataRevisionMismatch extends DomainError {
  readonly code = 'custom_metadata_revision_mismatch';

  constructor(expected: number, current: number | null) {
    super(
      `The custom metadata is at revision ${current ?? 'none'}, not ${expected}: read it again, and retry the change on it`,
      { expected_custom_metadata_revision: expected, custom_metadata_revision: current },
    );
  }
}

/** The response header that carries a resource's metadata revision (on its get and update answers). */
export const CUSTOM_METADATA_REVISION_HEADER = 'seam-custom-metadata-revision';

/** What a write to a resource with metadata answers: its log position, and its metadata revision after it. */
export interface MetadataWriteResult {
  position: number;
  customMetadataRevision: number | null;
}

/** Refuses a compare-and-set update (`expected` given) unless the metadata is still at that revision. */
export function assertMetadataRevision(expected: number | undefined, state: MetadataRevision): void {
  if (expected !== undefined && expected !== state.customMetadataRevision) {
    throw new CustomMetadataRevisionMismatch(expected, state.customMetadataRevision);
  }
}
