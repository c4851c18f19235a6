import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SeamHttp } from '@seamapi/http/connect';
import { schemas } from '@seamapi/types/connect';
import { sandboxClient } from '../support/sandbox.js';
import { schemaCheck } from '../support/schema-check.js';
import { ServerProcess } from '../support/server-process.js';

/**
 * The rest of Seam's custom-metadata surface through SDK 2.x, unchanged: renames, unmanaged devices, device
 * lists by kind, event filters and a webview's customer key. Every object and event parses with
 * `@seamapi/types`' zod schemas.
 */
/** SDK 2.32's parameter types lag `@seamapi/types`' OpenAPI document here; it sends the filter all the same. */
const has = (custom_metadata_has: Record<string, string | boolean>) => ({ custom_metadata_has }) as never;

describe("Seam's device routes and filters through SDK 2.x", () => {
  const server = new ServerProcess();
  let seam: SeamHttp;
  const check = schemaCheck();
  const conforms = check.conforms;
  const connect = async (provider: string, email: string, options: Record<string, unknown> = {}) => {
    const webview = await seam.connectWebviews.create({ accepted_providers: [provider as never], ...options });
    const done = await sandboxClient(server).completeWebview(webview.connect_webview_id, email, { provider });
    expect(done.status).toBe(200);
    return { webview, accountId: done.body.connect_webview.connected_account_id as string };
  };

  beforeAll(async () => {
    await server.start();
    seam = new SeamHttp({ apiKey: server.sandboxApiKey!, endpoint: server.url });
  });
  afterAll(() => server.stop());

  it('renames a device through properties.name, as through name', async () => {
    const { accountId } = await connect('august', 'rename@example.com');
    const [device] = await seam.devices.list({ connected_account_id: accountId });
    await seam.devices.update({ device_id: device.device_id, properties: { name: 'Renamed' } });
    const renamed = conforms('device', schemas.device, await seam.devices.get({ device_id: device.device_id }));
    expect([renamed.display_name, renamed.properties.name]).toEqual(['Renamed', 'Renamed']);
  });

  it('unmanages a device, finds it among the unmanaged by its metadata, and manages it again with it', async () => {
    const tag = `unmanaged-${Date.now()}`;
    const { accountId } = await connect('schlage', 'unmanage@example.com');
    const [device] = await seam.devices.list({ connected_account_id: accountId });
    await seam.devices.update({ device_id: device.device_id, custom_metadata: { tag } });
    await seam.devices.update({ device_id: device.device_id, is_managed: false });

    const unmanaged = await seam.devices.unmanaged.list(has({ tag }));
    expect(unmanaged.map((d) => d.device_id)).toEqual([device.device_id]);
    unmanaged.forEach((d) => conforms('unmanaged_device', schemas.unmanaged_device, d));
    expect(unmanaged[0]).toMatchObject({ is_managed: false, custom_metadata: { tag } });
    expect((await seam.devices.list({ custom_metadata_has: { tag } })).map((d) => d.device_id)).toEqual([]);
    conforms(
      'unmanaged_device',
      schemas.unmanaged_device,
      await seam.devices.unmanaged.get({ device_id: device.device_id }),
    );

    await seam.devices.unmanaged.update({ device_id: device.device_id, custom_metadata: { tag, floor: '2' } });
    await seam.devices.unmanaged.update({ device_id: device.device_id, is_managed: true });
    const managed = conforms('device', schemas.device, await seam.devices.get({ device_id: device.device_id }));
    expect(managed).toMatchObject({ is_managed: true, custom_metadata: { tag, floor: '2' } });
    expect(await seam.devices.unmanaged.list(has({ tag }))).toEqual([]);

    const events = await seam.events.list({ since: new Date(0).toISOString(), device_id: device.device_id });
    expect(events.map((e) => e.event_type)).toEqual([
      'device.added',
      'device.converted_to_unmanaged',
      'device.unmanaged.converted_to_managed',
    ]);
    events.forEach((e) => conforms(`event ${e.event_type}`, schemas.seam_event, e));
    // Its history kept every change, unmanaged or not.
    const history = (await server.post('/devices/custom_metadata_history', { device_id: device.device_id })).body;
    const values = history.custom_metadata_history.map((c: any) => c.custom_metadata);
    expect(values).toContainEqual({ tag });
    expect(values).toContainEqual({ tag, floor: '2' });
  });

  it('lists locks, thermostats and noise sensors by kind and by custom_metadata_has', async () => {
    const tag = `kinds-${Date.now()}`;
    const locks = await connect('yale', 'kinds@example.com');
    const thermostats = await connect('ecobee', 'kinds@example.com');
    const sensors = await connect('minut', 'kinds@example.com');
    const all = [
      ...(await seam.devices.list({ connected_account_id: locks.accountId })),
      ...(await seam.devices.list({ connected_account_id: thermostats.accountId })),
      ...(await seam.devices.list({ connected_account_id: sensors.accountId })),
    ];
    all.forEach((d) => conforms('device', schemas.device, d));
    expect(all.map((d) => d.device_type).sort()).toEqual(
      ['ecobee_thermostat', 'ecobee_thermostat', 'minut_sensor', 'yale_lock', 'yale_lock'].sort(),
    );
    for (const device of all) await seam.devices.update({ device_id: device.device_id, custom_metadata: { tag } });
    const ids = (devices: { device_id: string }[]) => devices.map((d) => d.device_id).sort();
    const ofType = (prefix: string) => ids(all.filter((d) => d.device_type.startsWith(prefix)));

    const lockList = await seam.locks.list(has({ tag }));
    expect(ids(lockList)).toEqual(ofType('yale'));
    const lock = await seam.locks.get({ device_id: lockList[0].device_id });
    expect(lock.device_id).toBe(lockList[0].device_id);
    conforms('lock', schemas.device, lock);
    expect(ids(await seam.thermostats.list(has({ tag })))).toEqual(ofType('ecobee'));
    expect(ids(await seam.noiseSensors.list(has({ tag })))).toEqual(ofType('minut'));
    // A thermostat is not a lock.
    const thermostatId = ofType('ecobee')[0];
    await expect(seam.locks.get({ device_id: thermostatId })).rejects.toMatchObject({ statusCode: 404 });
    for (const d of await seam.thermostats.list(has({ tag }))) conforms('thermostat', schemas.device, d);
  });

  it('filters events by event_ids, and finds none for an access code', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    await connect('august', 'events-filter@example.com');
    const events = await seam.events.list({ since });
    expect(events.length).toBeGreaterThanOrEqual(3);
    const picked = [events[0].event_id, events[2].event_id];
    expect((await seam.events.list({ since, event_ids: picked })).map((e) => e.event_id)).toEqual(picked);
    expect(await seam.events.list({ since, access_code_id: '00000000-0000-4000-8000-000000000000' })).toEqual([]);
    // unstable_offset with limit pages as Seam's do.
    const second = await seam.events.list({ since, limit: 1, unstable_offset: 1 });
    expect(second.map((e) => e.event_id)).toEqual([events[1].event_id]);
  });

  it('copies a webview customer_key to the account it creates; it filters accounts and devices', async () => {
    const customerKey = `customer-${Date.now()}`;
    const { accountId } = await connect('august', 'customer@example.com', { customer_key: customerKey });
    const account = conforms(
      'connected_account',
      schemas.connected_account,
      await seam.connectedAccounts.get({ connected_account_id: accountId }),
    );
    expect(account.customer_key).toBe(customerKey);
    expect(
      (await seam.connectedAccounts.list({ customer_key: customerKey })).map((a) => a.connected_account_id),
    ).toEqual([accountId]);
    const devices = await seam.devices.list({ customer_key: customerKey });
    expect(devices.map((d) => d.connected_account_id)).toEqual([accountId, accountId]);
    expect(await seam.devices.list({ customer_key: `${customerKey}-other` })).toEqual([]);
    // Its events, and its devices', carry the customer they concerned when they happened.
    const events = await seam.events.list({ since: new Date(0).toISOString(), customer_key: customerKey });
    expect(new Set(events.map((e) => (e as { connected_account_id?: string }).connected_account_id))).toEqual(
      new Set([accountId]),
    );
    expect(events.map((e) => e.event_type)).toEqual(
      expect.arrayContaining(['connected_account.created', 'device.added', 'connect_webview.login_succeeded']),
    );
  });

  it('updates an account display_name, customer_key once, and accepted_capabilities', async () => {
    const { accountId } = await connect('yale', 'settings@example.com');
    await seam.connectedAccounts.update({
      connected_account_id: accountId,
      display_name: 'House 1',
      customer_key: 'c-settings',
      accepted_capabilities: ['lock', 'thermostat'],
    });
    const account = conforms(
      'connected_account',
      schemas.connected_account,
      await seam.connectedAccounts.get({ connected_account_id: accountId }),
    );
    expect(account).toMatchObject({
      display_name: 'House 1',
      customer_key: 'c-settings',
      accepted_capabilities: ['lock', 'thermostat'],
    });
    expect((await seam.devices.list({ customer_key: 'c-settings' })).length).toBe(2);
    await expect(
      seam.connectedAccounts.update({ connected_account_id: accountId, customer_key: 'c-other' }),
    ).rejects.toMatchObject({ statusCode: 400 });
  });

  afterAll(() => {
    expect(check.failures).toEqual([]);
    expect(check.checked).toBeGreaterThan(10);
  });
});
