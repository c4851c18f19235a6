/**
 * Seam's events (`event` objects), derived from the domain events, plus one event per metadata change.
 * A public event's id derives from its domain event's, so the same domain event always gives the same one.
 */
export const PUBLIC_EVENT_TYPES = [
  'connect_webview.login_succeeded',
  'connect_webview.login_failed',
  'connected_account.created',
  'connected_account.connected',
  'connected_account.disconnected',
  'device.added',
  'device.disconnected',
  'device.custom_metadata_changed',
  'connected_account.custom_metadata_changed',
  'connect_webview.custom_metadata_changed',
] as const;
export type PublicEventType = (typeof PUBLIC_EVENT_TYPES)[number];

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
  since?: string;
  until?: string;
  deviceIds?: string[];
  connectedAccountId?: string;
  connectWebviewId?: string;
  eventTypes?: string[];
  afterSequence?: number;
}
