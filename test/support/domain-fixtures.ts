import type { Actor } from '../../src/common/actor.js';
import type { ConnectWebviewCreatedData, ConnectWebviewEvent } from '../../src/connect-webviews/connect-webview.js';
import type { ConnectedAccountEvent } from '../../src/connected-accounts/connected-account.js';
import type { DeviceEvent } from '../../src/devices/device.js';
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

/** `ConnectWebviewCreated` of webview cw1 with Seam's defaults; `fields` override them. */
export function webviewCreated(fields: Partial<ConnectWebviewCreatedData> = {}): ConnectWebviewEvent {
  return {
    type: 'ConnectWebviewCreated',
    data: {
      connect_webview_id: 'cw1',
      workspace_id: WORKSPACE,
      created_at: NOW,
      device_selection_mode: 'none',
      accepted_providers: ['august', 'schlage', 'yale', 'ecobee', 'minut'],
      any_provider_allowed: true,
      provider_category: null,
      accepted_capabilities: ['lock', 'thermostat', 'noise_sensor'],
      custom_redirect_url: null,
      custom_redirect_failure_url: null,
      automatically_manage_new_devices: true,
      wait_for_device_creation: false,
      customer_key: null,
      auth_token: 'token-1',
      ...fields,
    },
  };
}

/** `ConnectedAccountCreated` of jane@example.com's August account `connectedAccountId`, connected by `connectWebviewId`. */
export function accountCreated(connectedAccountId: string, connectWebviewId = 'cw1'): ConnectedAccountEvent {
  return {
    type: 'ConnectedAccountCreated',
    data: {
      connected_account_id: connectedAccountId,
      workspace_id: WORKSPACE,
      provider: 'august',
      user_identifier: { email: 'jane@example.com' },
      connect_webview_id: connectWebviewId,
      automatically_manage_new_devices: true,
      accepted_capabilities: ['lock'],
      created_at: NOW,
    },
  };
}

/** `DeviceAdded` of account a1's August lock d1, "Front Door", added by webview cw1. */
export function deviceAdded(): Extract<DeviceEvent, { type: 'DeviceAdded' }> {
  return {
    type: 'DeviceAdded',
    data: {
      device_id: 'd1',
      workspace_id: WORKSPACE,
      connected_account_id: 'a1',
      connect_webview_id: 'cw1',
      provider: 'august',
      device_type: 'august_lock',
      name: 'Front Door',
      model: 'August Wi-Fi Smart Lock',
      created_at: NOW,
    },
  };
}
