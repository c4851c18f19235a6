import type { CustomMetadataMatch } from '../custom-metadata/custom-metadata-selector.js';
import { SEAM_EVENT_TYPES } from './seam-event-types.js';

/**
 * The event types this service adds to Seam's, one per metadata change. They are opt-in: delivered only to a
 * webhook, `/events/list` call or stream that names them, so a client that parses Seam's events strictly
 * never meets one it does not know.
 */
export const EXTENSION_EVENT_TYPES = [
  'device.custom_metadata_changed',
  'connected_account.custom_metadata_changed',
  'connect_webview.custom_metadata_changed',
] as const;

/** The Seam event types this service emits: what a webhook that names none receives. */
export const EMITTED_SEAM_EVENT_TYPES = [
  'connect_webview.login_succeeded',
  'connect_webview.login_failed',
  'connected_account.created',
  'connected_account.connected',
  'connected_account.disconnected',
  'connected_account.deleted',
  'device.added',
  'device.connected',
  'device.disconnected',
  'device.deleted',
  'device.converted_to_unmanaged',
  'device.unmanaged.converted_to_managed',
] as const;

/** What a filter or a webhook may name: any Seam event type, even one never emitted here, and the extensions. */
export const NAMEABLE_EVENT_TYPES: readonly string[] = [...SEAM_EVENT_TYPES, ...EXTENSION_EVENT_TYPES];

export type PublicEventType = (typeof EMITTED_SEAM_EVENT_TYPES)[number] | (typeof EXTENSION_EVENT_TYPES)[number];

export interface PublicEvent {
  event_id: string;
  workspace_id: string;
  created_at: string;
  occurred_at: string;
  event_type: PublicEventType;
  device_id?: string;
  connected_account_id?: string;
  connect_webview_id?: string;
  [field: string]: unknown;
}

/**
 * A public event's place in the workspace's event sequence: several may come from one domain event, so the
 * domain event's log position is scaled. Deterministic, so a rebuilt read model numbers them identically.
 */
export const sequenceAt = (position: number, index = 0): number => position * 1000 + index;

export interface PublicEventFilter {
  /** From this time on (`since`, inclusive). */
  since?: string;
  /** Strictly after and before these times (`between`, exclusive at both ends). */
  after?: string;
  until?: string;
  deviceIds?: string[];
  connectedAccountId?: string;
  connectWebviewId?: string;
  /** Left out: every Seam event type, and no extension type. */
  eventTypes?: readonly string[];
  eventIds?: readonly string[];
  /** Events of the resources associated with that customer when they happened. */
  customerKey?: string;
  /** A filter on a kind of resource this service never has (access codes, spaces, …): nothing matches. */
  matchesNothing?: boolean;
  afterSequence?: number;
  /** The extension `custom_metadata_match`: on the snapshot of the event's own resource (`SUBJECT_METADATA`). */
  customMetadataMatch?: CustomMetadataMatch;
  /** The extension `connected_account_custom_metadata_match`: on the snapshot of the event's account. */
  connectedAccountCustomMetadataMatch?: CustomMetadataMatch;
}
