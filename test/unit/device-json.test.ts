import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { jsonBytesWith, jsonTemplate, SerializedJson } from '../../src/common/json-template.js';
import type { DomainEvent } from '../../src/event-store/decider.js';
import { DEVICE_TYPES, SUPPORTED_PROVIDERS } from '../../src/providers/providers.js';
import {
  deviceJson,
  deviceReadModel,
  listDevices,
  toDeviceObject,
  toUnmanagedDeviceObject,
} from '../../src/devices/device.projection.js';
import { pageRequest } from '../../src/read-models/pagination.js';
import { metadataSetEvent, NOW, WORKSPACE } from '../support/domain-fixtures.js';
import { givenEvents } from '../support/projection-specification.js';

describe('JSON templates', () => {
  it('write what JSON.stringify writes, each hole wherever and however often it is placed', () => {
    const template = jsonTemplate(2, ([a, b]) => ({ x: a, nested: { list: [b, a], n: 1, t: true }, none: undefined }));
    const b = { k: 'v', '1': false };
    const odd = 'q"\u0000\n</script> é 😀 \ud800';
    expect(template.render([odd, { json: JSON.stringify(b) }]).bytes.toString()).toBe(
      JSON.stringify({ x: odd, nested: { list: [b, odd], n: 1, t: true } }),
    );
  });

  it('jsonBytesWith puts made JSON into a body and writes the rest as JSON.stringify does', () => {
    const made = (text: string) => new SerializedJson(Buffer.from(text));
    const body = { devices: [made('{"a":1}'), made('[]')], skipped: undefined, ok: true };
    expect(jsonBytesWith(body).toString()).toBe('{"devices":[{"a":1},[]],"ok":true}');
    const plain = { a: [1, null, 'x', { b: new Date(0) }], '2': 'two', c: { d: undefined }, long: 'é'.repeat(40_000) };
    expect(jsonBytesWith(plain).toString()).toBe(JSON.stringify(plain));
  });
});

const deviceTypes = Object.values(DEVICE_TYPES).flat();
const text = fc.string({ unit: 'binary', maxLength: 12 });
const metadata = fc.dictionary(fc.oneof(text, fc.nat(99).map(String)), fc.oneof(text, fc.boolean()), { maxKeys: 5 });
const device = fc.record({
  device_type: fc.constantFrom(...deviceTypes),
  provider: fc.constantFrom(...SUPPORTED_PROVIDERS),
  name: text,
  model: text,
  is_managed: fc.boolean(),
  customer_key: fc.option(text, { nil: undefined }),
  metadata,
  disconnected: fc.boolean(),
});

describe('a device page written from templates (deviceJson)', () => {
  it('is what JSON.stringify of each device object writes, managed or not, for rows the projection wrote', () => {
    fc.assert(
      fc.property(fc.array(device, { minLength: 1, maxLength: 12 }), (devices) => {
        const events: DomainEvent[] = devices.flatMap((d, i): DomainEvent[] => [
          {
            type: 'DeviceAdded',
            data: {
              device_id: `d${i}`,
              workspace_id: WORKSPACE,
              // One account per device, so that each is disconnected or not on its own.
              connected_account_id: `a${i}`,
              connect_webview_id: 'cw1',
              provider: d.provider,
              device_type: d.device_type,
              name: d.name,
              model: d.model,
              is_managed: d.is_managed,
              ...(d.customer_key === undefined ? {} : { customer_key: d.customer_key }),
              created_at: NOW,
            },
          },
          metadataSetEvent({
            resource_type: 'device',
            resource_id: `d${i}`,
            previous: {},
            next: d.metadata,
            cause: { type: 'api_update' },
          }),
          ...(d.disconnected
            ? [
                {
                  type: 'ConnectedAccountDisconnected',
                  data: { connected_account_id: `a${i}`, workspace_id: WORKSPACE, disconnected_at: NOW },
                } as DomainEvent,
              ]
            : []),
        ]);
        const given = givenEvents([deviceReadModel], events);
        try {
          for (const managed of [true, false]) {
            const page = listDevices(given.db, WORKSPACE, { managed }, pageRequest({}, 100, undefined), () => '');
            expect(page.items).toHaveLength(devices.filter((d) => d.is_managed === managed).length);
            for (const row of page.items) {
              const object = managed ? toDeviceObject(row) : toUnmanagedDeviceObject(row);
              expect(deviceJson(row, managed).bytes.toString()).toBe(JSON.stringify(object));
            }
          }
        } finally {
          given.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});
