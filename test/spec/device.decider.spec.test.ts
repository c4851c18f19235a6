import { describe, it } from '@jest/globals';
import { InvalidCommand, NotFound } from '../../src/common/domain-errors.js';
import { deviceDecider, type DeviceEvent } from '../../src/devices/device.js';
import { DeciderSpecification } from '../support/decider-specification.js';
import { apiKey, LATER, metadataSetEvent, NOW, WORKSPACE } from '../support/domain-fixtures.js';

const spec = DeciderSpecification.for(deviceDecider);
const saga = { type: 'completion_saga', connect_webview_id: 'cw1' } as const;
const device = {
  device_id: 'd1',
  workspace_id: WORKSPACE,
  connected_account_id: 'a1',
  connect_webview_id: 'cw1',
  provider: 'august' as const,
  device_type: 'august_lock',
  name: 'Front Door',
  model: 'August Wi-Fi Smart Lock',
};
const added: DeviceEvent = { type: 'DeviceAdded', data: { ...device, created_at: NOW } };
const createdEmpty = metadataSetEvent({
  resource_type: 'device',
  resource_id: 'd1',
  previous: {},
  next: {},
  cause: { type: 'created' },
  actor: saga,
});
const withFloor = metadataSetEvent({
  resource_type: 'device',
  resource_id: 'd1',
  previous: {},
  next: { floor: '1' },
  changes: { added: { floor: '1' } },
  cause: { type: 'api_update' },
});
const update = (
  fields: { name?: string; customMetadata?: Record<string, string | boolean | null> },
  workspaceId = WORKSPACE,
) =>
  ({ type: 'UpdateDevice', deviceId: 'd1', workspaceId, managed: true, ...fields, actor: apiKey, now: LATER }) as const;

describe('device decider', () => {
  describe('AddDevice', () => {
    it('adds a device with empty metadata', () => {
      spec.given([]).when({ type: 'AddDevice', device, actor: saga, now: NOW }).then([added, createdEmpty]);
    });

    it('adds nothing to a device that exists: it keeps its name and metadata', () => {
      spec
        .given([added, createdEmpty, withFloor])
        .when({ type: 'AddDevice', device: { ...device, name: 'Renamed' }, actor: saga, now: LATER })
        .thenNothingHappened();
    });
  });

  describe('UpdateDevice', () => {
    it('merges metadata: keys given are set, keys not given stay', () => {
      spec
        .given([added, createdEmpty, withFloor])
        .when(update({ customMetadata: { vip: true, floor: '2' } }))
        .then([
          metadataSetEvent({
            resource_type: 'device',
            resource_id: 'd1',
            previous: { floor: '1' },
            next: { floor: '2', vip: true },
            changes: { added: { vip: true }, changed: { floor: { from: '1', to: '2' } } },
            cause: { type: 'api_update' },
            at: LATER,
          }),
        ]);
    });

    it('removes a key given as null', () => {
      spec
        .given([added, createdEmpty, withFloor])
        .when(update({ customMetadata: { floor: null } }))
        .then([
          metadataSetEvent({
            resource_type: 'device',
            resource_id: 'd1',
            previous: { floor: '1' },
            next: {},
            changes: { removed: { floor: '1' } },
            cause: { type: 'api_update' },
            at: LATER,
          }),
        ]);
    });

    it('records nothing when the merge changes nothing', () => {
      spec
        .given([added, createdEmpty, withFloor])
        .when(update({ customMetadata: { floor: '1' } }))
        .thenNothingHappened();
      spec
        .given([added, createdEmpty])
        .when(update({ name: '  Front Door ' }))
        .thenNothingHappened();
    });

    it('renames, trimmed', () => {
      spec
        .given([added, createdEmpty])
        .when(update({ name: ' Back Door ' }))
        .then([{ type: 'DeviceRenamed', data: { device_id: 'd1', workspace_id: WORKSPACE, name: 'Back Door' } }]);
    });

    it('refuses an empty name', () => {
      spec
        .given([added, createdEmpty])
        .when(update({ name: '   ' }))
        .thenThrows((e) => e instanceof InvalidCommand && e.issues[0].path[0] === 'name');
    });

    it('refuses a merge that would hold more than 50 keys', () => {
      const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v']));
      const full = metadataSetEvent({
        resource_type: 'device',
        resource_id: 'd1',
        previous: {},
        next: fifty,
        cause: { type: 'api_update' },
      });
      spec
        .given([added, createdEmpty, full])
        .when(update({ customMetadata: { one_more: 'v' } }))
        .thenThrows((e) => e instanceof InvalidCommand);
    });

    it('refuses a device that does not exist, or is in another workspace, as not found', () => {
      spec
        .given([])
        .when(update({ name: 'x' }))
        .thenThrows((e) => e instanceof NotFound && e.code === 'device_not_found');
      spec
        .given([added, createdEmpty])
        .when(update({ name: 'x' }, 'w2'))
        .thenThrows((e) => e instanceof NotFound && e.details.device_id === 'd1');
    });
  });
});
