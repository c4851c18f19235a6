import { NotFound } from '../common/domain-errors.js';
import type { MetadataResourceType, MetadataSetData } from '../custom-metadata/metadata-set.js';
import type { EventStore, RecordedEvent } from '../event-store/event-store.js';
import { streams } from '../event-store/streams.js';
import { ERASURE_RECORD_TYPES } from '../encryption/data-key-policy.js';
import { ERASED_EVENT_TYPE } from '../encryption/sealed-event-store.js';

/**
 * The audit: every resource's own stream answers who changed its metadata, when, why, and what it was at
 * any moment. Nothing here is a read model; it is all folded from the log on demand.
 */
export interface AuditedResource {
  type: MetadataResourceType;
  idField: 'device_id' | 'connected_account_id' | 'connect_webview_id';
  id: string;
}

export interface CustomMetadataHistoryEntry {
  revision: number;
  occurred_at: string;
  custom_metadata: MetadataSetData['custom_metadata'];
  previous_custom_metadata: MetadataSetData['previous_custom_metadata'];
  changes: MetadataSetData['changes'];
  cause: MetadataSetData['cause'];
  actor: MetadataSetData['actor'];
}

export function streamOf(resource: AuditedResource): string {
  switch (resource.type) {
    case 'device':
      return streams.device(resource.id);
    case 'connected_account':
      return streams.connectedAccount(resource.id);
    case 'connect_webview':
      return streams.connectWebview(resource.id);
  }
}

/**
 * The resource's events, or 404 exactly as for a missing one when it belongs to another workspace
 * (`workspaceId` null: an operator's CLI, which sees every workspace). A deleted webview keeps its history.
 */
export async function readResourceStream(
  store: EventStore,
  resource: AuditedResource,
  workspaceId: string | null,
): Promise<RecordedEvent[]> {
  await assertVisible(store, resource, workspaceId);
  return store.readStream(streamOf(resource));
}

/**
 * Up to `count` history entries after revision `afterRevision`: one read of the stream's MetadataSet events
 * from there, so the cost follows the page asked for, not the length of the stream.
 */
export async function customMetadataHistoryAfter(
  store: EventStore,
  resource: AuditedResource,
  workspaceId: string | null,
  afterRevision: number,
  count: number,
): Promise<CustomMetadataHistoryEntry[]> {
  await assertVisible(store, resource, workspaceId);
  const page = await store.readStream(streamOf(resource), {
    fromRevision: afterRevision + 1,
    types: { only: ['MetadataSet'] },
    maxCount: count,
  });
  return customMetadataHistory(page);
}

/**
 * When the resource was deleted and its data erased (null if it was not). Its history then shows no change:
 * each was sealed under the destroyed key.
 */
export async function erasedAt(store: EventStore, resource: AuditedResource): Promise<string | null> {
  const [erasure] = await store.readStream(streamOf(resource), { types: { only: ERASURE_RECORD_TYPES }, maxCount: 1 });
  return (erasure?.data as { deleted_at?: string } | undefined)?.deleted_at ?? null;
}

async function assertVisible(store: EventStore, resource: AuditedResource, workspaceId: string | null): Promise<void> {
  let [first] = await store.readStream(streamOf(resource), { maxCount: 1 });
  // Erased: the workspace is named by the record of its erasure, which stays readable.
  if (first?.type === ERASED_EVENT_TYPE) {
    [first] = await store.readStream(streamOf(resource), { types: { only: ERASURE_RECORD_TYPES }, maxCount: 1 });
  }
  const owner = (first?.data as { workspace_id?: string } | undefined)?.workspace_id;
  if (!first || (workspaceId !== null && owner !== workspaceId)) {
    throw new NotFound(resource.type, resource.idField, resource.id);
  }
}

export function customMetadataHistory(events: readonly RecordedEvent[]): CustomMetadataHistoryEntry[] {
  return events
    .filter((e) => e.type === 'MetadataSet')
    .map((e) => {
      const data = e.data as MetadataSetData;
      return {
        revision: e.revision,
        occurred_at: e.recordedAt,
        custom_metadata: data.custom_metadata,
        previous_custom_metadata: data.previous_custom_metadata,
        changes: data.changes,
        cause: data.cause,
        actor: data.actor,
      };
    });
}
