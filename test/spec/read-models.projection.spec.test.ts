import { describe, expect, it } from '@jest/globals';
import { connectWebviewReadModel, findConnectWebview } from '../../src/connect-webviews/connect-webview.projection.js';
import type { ConnectWebviewEvent } from '../../src/connect-webviews/connect-webview.js';
import type { ConnectedAccountEvent } from '../../src/connected-accounts/connected-account.js';
import {
  connectedAccountReadModel,
  findConnectedAccount,
} from '../../src/connected-accounts/connected-account.projection.js';
import type { DeviceEvent } from '../../src/devices/device.js';
import { deviceReadModel, findDevice, toDeviceObject } from '../../src/devices/device.projection.js';
import {
  accountCreated as createdAccount,
  deviceAdded as addedDevice,
  metadataSetEvent,
  NOW,
  webviewCreated as createdWebview,
  WORKSPACE,
} from '../support/domain-fixtures.js';
import { givenEvents } from '../support/projection-specification.js';

const webviewCreated = createdWebview({ accepted_providers: ['august'], any_provider_allowed: false });
const metadata = (
  resource_type: 'device' | 'connected_account' | 'connect_webview',
  resource_id: string,
  next: Record<string, string | boolean>,
) => metadataSetEvent({ resource_type, resource_id, previous: {}, next, cause: { type: 'api_update' } });
const accountCreated = createdAccount('a1');
const deviceAdded: DeviceEvent = addedDevice();
const indexRows = (spec: ReturnType<typeof givenEvents>, type: string) =>
  spec.rows(
    `SELECT resource_id, key, value FROM ${type}_metadata_entries WHERE resource_type = ? ORDER BY resource_id, key`,
    type,
  );

describe('connect webview read model', () => {
  it('holds a webview with its metadata, indexed per key with JSON values', () => {
    const spec = givenEvents(
      [connectWebviewReadModel],
      [webviewCreated, metadata('connect_webview', 'cw1', { tenant: 't1', vip: true })],
    );
    expect(spec.rows('SELECT connect_webview_id, workspace_id, created_position FROM connect_webviews')).toEqual([
      { connect_webview_id: 'cw1', workspace_id: WORKSPACE, created_position: 1 },
    ]);
    expect(findConnectWebview(spec.db, WORKSPACE, 'cw1')).toMatchObject({
      custom_metadata: { tenant: 't1', vip: true },
      status: 'pending',
    });
    expect(indexRows(spec, 'connect_webview')).toEqual([
      { resource_id: 'cw1', key: 'tenant', value: '"t1"' },
      { resource_id: 'cw1', key: 'vip', value: 'true' },
    ]);
  });

  it('shows an authorized webview with its account, and forgets a deleted one and its index', () => {
    const authorized: ConnectWebviewEvent = {
      type: 'ConnectWebviewAuthorized',
      data: {
        connect_webview_id: 'cw1',
        workspace_id: WORKSPACE,
        connected_account_id: 'a1',
        selected_provider: 'august',
        authorized_at: NOW,
      },
    };
    const spec = givenEvents(
      [connectWebviewReadModel],
      [webviewCreated, metadata('connect_webview', 'cw1', { k: 'v' }), authorized],
    );
    expect(findConnectWebview(spec.db, WORKSPACE, 'cw1')).toMatchObject({
      status: 'authorized',
      connected_account_id: 'a1',
      login_successful: true,
    });
    const deleted = givenEvents(
      [connectWebviewReadModel],
      [
        webviewCreated,
        metadata('connect_webview', 'cw1', { k: 'v' }),
        {
          type: 'ConnectWebviewDeleted',
          data: { connect_webview_id: 'cw1', workspace_id: WORKSPACE, deleted_at: NOW },
        },
      ],
    );
    expect(deleted.rows('SELECT * FROM connect_webviews')).toEqual([]);
    expect(indexRows(deleted, 'connect_webview')).toEqual([]);
  });

  it("ignores another resource's MetadataSet", () => {
    const spec = givenEvents([connectWebviewReadModel], [webviewCreated, metadata('device', 'cw1', { k: 'v' })]);
    expect(findConnectWebview(spec.db, WORKSPACE, 'cw1')?.custom_metadata).toEqual({});
  });
});

describe('connected account read model', () => {
  it('holds an account by email, with its metadata replaced by each MetadataSet', () => {
    const spec = givenEvents(
      [connectedAccountReadModel],
      [
        accountCreated,
        metadata('connected_account', 'a1', { plan: 'basic' }),
        metadata('connected_account', 'a1', { tier: 'pro' }),
      ],
    );
    expect(spec.rows('SELECT connected_account_id, email, created_position FROM connected_accounts')).toEqual([
      { connected_account_id: 'a1', email: 'jane@example.com', created_position: 1 },
    ]);
    expect(findConnectedAccount(spec.db, WORKSPACE, { email: 'jane@example.com' })?.custom_metadata).toEqual({
      tier: 'pro',
    });
    expect(indexRows(spec, 'connected_account')).toEqual([{ resource_id: 'a1', key: 'tier', value: '"pro"' }]);
  });

  it('records a disconnection until a reconnection, and settings changes', () => {
    const spec = givenEvents(
      [connectedAccountReadModel],
      [
        accountCreated,
        {
          type: 'ConnectedAccountDisconnected',
          data: { connected_account_id: 'a1', workspace_id: WORKSPACE, disconnected_at: NOW },
        },
        {
          type: 'ConnectedAccountSettingsChanged',
          data: { connected_account_id: 'a1', workspace_id: WORKSPACE, automatically_manage_new_devices: false },
        },
      ],
    );
    expect(findConnectedAccount(spec.db, WORKSPACE, { connectedAccountId: 'a1' })).toMatchObject({
      disconnected_at: NOW,
      automatically_manage_new_devices: false,
    });
    const back = givenEvents(
      [connectedAccountReadModel],
      [
        accountCreated,
        {
          type: 'ConnectedAccountDisconnected',
          data: { connected_account_id: 'a1', workspace_id: WORKSPACE, disconnected_at: NOW },
        },
        {
          type: 'ConnectedAccountReconnected',
          data: { connected_account_id: 'a1', workspace_id: WORKSPACE, connect_webview_id: 'cw2', reconnected_at: NOW },
        },
      ],
    );
    expect(findConnectedAccount(back.db, WORKSPACE, { connectedAccountId: 'a1' })?.disconnected_at).toBeNull();
  });
});

describe('device read model', () => {
  it('holds a device with its name and metadata', () => {
    const spec = givenEvents(
      [deviceReadModel],
      [
        deviceAdded,
        metadata('device', 'd1', { floor: '1' }),
        { type: 'DeviceRenamed', data: { device_id: 'd1', workspace_id: WORKSPACE, name: 'Back Door' } },
      ],
    );
    expect(
      spec.rows(
        'SELECT device_id, connected_account_id, device_type, created_position, account_disconnected_at FROM devices',
      ),
    ).toEqual([
      {
        device_id: 'd1',
        connected_account_id: 'a1',
        device_type: 'august_lock',
        created_position: 1,
        account_disconnected_at: null,
      },
    ]);
    const device = toDeviceObject(findDevice(spec.db, WORKSPACE, 'd1')!);
    expect(device).toMatchObject({ display_name: 'Back Door', custom_metadata: { floor: '1' }, errors: [] });
    expect(indexRows(spec, 'device')).toEqual([{ resource_id: 'd1', key: 'floor', value: '"1"' }]);
  });

  it("shows its account's disconnection as an error until the account reconnects", () => {
    const disconnected: ConnectedAccountEvent = {
      type: 'ConnectedAccountDisconnected',
      data: { connected_account_id: 'a1', workspace_id: WORKSPACE, disconnected_at: NOW },
    };
    const spec = givenEvents([deviceReadModel], [deviceAdded, disconnected]);
    expect(toDeviceObject(findDevice(spec.db, WORKSPACE, 'd1')!)).toMatchObject({
      properties: { online: false },
      errors: [{ error_code: 'account_disconnected' }],
    });
    const back = givenEvents(
      [deviceReadModel],
      [
        deviceAdded,
        disconnected,
        {
          type: 'ConnectedAccountReconnected',
          data: { connected_account_id: 'a1', workspace_id: WORKSPACE, connect_webview_id: 'cw2', reconnected_at: NOW },
        },
      ],
    );
    expect(toDeviceObject(findDevice(back.db, WORKSPACE, 'd1')!)).toMatchObject({
      properties: { online: true },
      errors: [],
    });
  });
});

describe('a metadata change in every resource read model', () => {
  const cases = [
    { projection: connectWebviewReadModel, created: webviewCreated, type: 'connect_webview', id: 'cw1' },
    { projection: connectedAccountReadModel, created: accountCreated, type: 'connected_account', id: 'a1' },
    { projection: deviceReadModel, created: deviceAdded, type: 'device', id: 'd1' },
  ] as const;
  for (const { projection, created, type, id } of cases) {
    it(`${type}: writes the metadata column and leaves the rest of the record as it was`, () => {
      const table = projection.name;
      const before = givenEvents([projection], [created]).rows(`SELECT record, custom_metadata FROM ${table}`);
      const after = givenEvents(
        [projection],
        [created, metadata(type, id, { tenant: 't1' }), metadata(type, id, { tenant: 't2', vip: true })],
      ).rows(`SELECT record, custom_metadata FROM ${table}`);
      expect(before).toEqual([{ record: expect.any(String), custom_metadata: '{}' }]);
      expect(after).toEqual([{ record: before[0].record, custom_metadata: '{"tenant":"t2","vip":true}' }]);
      expect(JSON.parse(before[0].record as string)).not.toHaveProperty('custom_metadata');
    });
  }
});
