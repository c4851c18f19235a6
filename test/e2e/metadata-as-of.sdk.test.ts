import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SeamHttp } from '@seamapi/http/connect';
import fc from 'fast-check';
import { sandboxClient } from '../support/sandbox.js';
import { ServerProcess } from '../support/server-process.js';
import {
  LISTS,
  metadataLists,
  randomSelectors,
  selects,
  type Listed,
  type Metadata,
  type Selector,
  type Value,
} from '../support/metadata-lists.js';

/**
 * A moment strictly between what the server recorded before and what it records after. The server and the
 * test read one clock, and each write is answered once recorded: the moment is taken once the clock has
 * moved past the last answer's millisecond, and the next write is sent once it has moved past the moment's.
 * No sleep: the clock itself is the signal.
 */
async function moment(): Promise<string> {
  const nextMillisecond = async () => {
    const now = Date.now();
    while (Date.now() === now) await new Promise((resolve) => setImmediate(resolve));
  };
  await nextMillisecond();
  const at = new Date().toISOString();
  await nextMillisecond();
  return at;
}

// `as_of` (an extension) on the lists: the resources as they were at a moment, read from the history the
// projections keep, through plain HTTP and through the official SDK.
describe('lists as of a moment', () => {
  const server = new ServerProcess();
  const { post, listed } = metadataLists(server);
  let seam: SeamHttp;
  const at: Record<string, string> = {};
  let deviceId = '';
  let laterDeviceId = '';
  let accountId = '';
  let accountDeviceIds: string[] = [];

  beforeAll(async () => {
    await server.start();
    seam = new SeamHttp({ apiKey: server.sandboxApiKey!, endpoint: server.url });
    const sandbox = sandboxClient(server);
    at.beforeEverything = await moment();
    const webview = await seam.connectWebviews.create({ custom_metadata: { tenant: 't1' } });
    const done = await sandbox.completeWebview(webview.connect_webview_id, 'as-of@example.com');
    accountId = done.body.connect_webview.connected_account_id as string;
    accountDeviceIds = (await seam.devices.list({ connected_account_id: accountId })).map((d) => d.device_id);
    deviceId = accountDeviceIds[0];
    await seam.devices.update({ device_id: deviceId, custom_metadata: { tenant: 't1', floor: '2' } });
    at.beforeT = await moment();
    // T: the device moves from t1 to t2.
    await seam.devices.update({ device_id: deviceId, custom_metadata: { tenant: 't2', floor: null } as never });
    at.afterT = await moment();
    const later = await seam.connectWebviews.create({ custom_metadata: { tenant: 't1' } });
    const laterDone = await sandbox.completeWebview(later.connect_webview_id, 'as-of-later@example.com');
    const laterAccount = laterDone.body.connect_webview.connected_account_id as string;
    laterDeviceId = (await seam.devices.list({ connected_account_id: laterAccount }))[0].device_id;
    await seam.devices.update({ device_id: laterDeviceId, custom_metadata: { tenant: 't1' } });
    at.afterLater = await moment();
  });
  afterAll(() => server.stop());

  const deviceIds = async (params: Record<string, unknown>) => (await listed(LISTS[0], params)).map(({ id }) => id);

  it('finds a device by its metadata before T, not after, and not a device created after T', async () => {
    const t1 = { custom_metadata_match: { tenant: 't1' } };
    expect(await deviceIds({ ...t1, as_of: at.beforeT })).toContain(deviceId);
    expect(await deviceIds({ ...t1, as_of: at.afterT })).not.toContain(deviceId);
    expect(await deviceIds({ custom_metadata_match: { tenant: 't2' }, as_of: at.afterT })).toContain(deviceId);
    for (const moment of [at.beforeT, at.afterT])
      expect(await deviceIds({ ...t1, as_of: moment })).not.toContain(laterDeviceId);
    expect(await deviceIds({ ...t1, as_of: at.afterLater })).toContain(laterDeviceId);
    // Before anything existed, nothing; with custom_metadata_has, the same as with a selector.
    expect(await deviceIds({ as_of: at.beforeEverything })).toEqual([]);
    expect(await deviceIds({ custom_metadata_has: { tenant: 't1' }, as_of: at.beforeT })).toContain(deviceId);
  });

  it('shows each resource with its metadata as it was then, through the SDK too', async () => {
    const then = (await post('/devices/list', { device_ids: [deviceId], as_of: at.beforeT })).body.devices;
    expect(then.map((d: any) => d.custom_metadata)).toEqual([{ tenant: 't1', floor: '2' }]);
    const viaSdk = await seam.devices.list({ device_ids: [deviceId], as_of: at.beforeT } as never);
    expect(viaSdk).toEqual(then);
    const now = await seam.devices.list({ device_ids: [deviceId] });
    expect(now.map((d) => d.custom_metadata)).toEqual([{ tenant: 't2' }]);
    // As of now, a list is the live list.
    expect(await post('/devices/list', { as_of: new Date().toISOString() })).toEqual(await post('/devices/list', {}));
  });

  it('takes every filter and pages through the resources as they were', async () => {
    expect(await deviceIds({ connected_account_id: accountId, as_of: at.beforeT })).toEqual(accountDeviceIds);
    expect(await deviceIds({ connected_account_id: accountId, as_of: at.beforeEverything })).toEqual([]);
    const everyDevice = await deviceIds({ as_of: at.afterLater });
    expect(everyDevice.length).toBeGreaterThan(2);
    const paged: string[] = [];
    let cursor: string | undefined;
    do {
      const { body } = await post('/devices/list', {
        as_of: at.afterLater,
        limit: 2,
        ...(cursor ? { page_cursor: cursor } : {}),
      });
      paged.push(...body.devices.map((d: any) => d.device_id));
      cursor = body.pagination.next_page_cursor ?? undefined;
      if (cursor) expect(body.pagination.next_page_url).toContain(`as_of=${encodeURIComponent(at.afterLater)}`);
    } while (cursor);
    expect(paged).toEqual(everyDevice);
    // A search matches the text as it was: the device's metadata then.
    const search = async (text: string, as_of: string) =>
      (await post('/devices/list', { search: text, as_of })).body.devices.map((d: any) => d.device_id);
    expect(await search('t1', at.beforeT)).toContain(deviceId);
    expect(await search('t1', at.afterT)).not.toContain(deviceId);
  });

  it('lists a deleted webview before its deletion, and an erased account nowhere', async () => {
    const webview = await seam.connectWebviews.create({ custom_metadata: { tenant: 'gone' } });
    const before = await moment();
    await seam.connectWebviews.delete({ connect_webview_id: webview.connect_webview_id });
    const webviews = async (as_of: string) =>
      (await listed(LISTS[2], { custom_metadata_match: { tenant: 'gone' }, as_of })).map(({ id }) => id);
    expect(await webviews(before)).toEqual([webview.connect_webview_id]);
    expect(await webviews(new Date().toISOString())).toEqual([]);

    // connected_accounts/delete erases the account and its devices: no list shows their past either.
    await seam.connectedAccounts.delete({ connected_account_id: accountId });
    expect(await deviceIds({ as_of: at.beforeT })).not.toContain(deviceId);
    const accounts = (await listed(LISTS[1], { as_of: at.beforeT })).map(({ id }) => id);
    expect(accounts).not.toContain(accountId);
  });

  it('refuses a malformed as_of with 400 invalid_input', async () => {
    for (const list of LISTS) {
      const { status, body } = await post(list.path, { as_of: 'yesterday' });
      expect({ status, type: body.error?.type }).toEqual({ status: 400, type: 'invalid_input' });
      expect(body.error.message).toContain('as_of');
    }
  });
});

// Random selectors at random past moments: the service's answer as of a moment equals the reference
// filter over what the live list answered at that moment.
describe('lists as of a moment, against what the lists answered then (fast-check)', () => {
  const server = new ServerProcess();
  const { listed } = metadataLists(server);
  const values: Value[] = ['t1', 't2', 't3', 'pro', 'gold', true, false];
  const keys = ['tenant', 'plan', 'vip', 'absent'];
  /** At each moment, every list as it answered then. */
  const snapshots: { at: string; lists: Map<string, Listed[]> }[] = [];

  beforeAll(async () => {
    await server.start();
    const seam = new SeamHttp({ apiKey: server.sandboxApiKey!, endpoint: server.url });
    const sandbox = sandboxClient(server);
    const random = fc.sample(
      fc.dictionary(fc.constantFrom('tenant', 'plan', 'vip'), fc.constantFrom(...values), { maxKeys: 3 }),
      { numRuns: 200, seed: 281 },
    ) as Metadata[];
    let next = 0;
    const metadata = () => random[next++ % random.length];
    const snapshot = async () => {
      const at = await moment();
      const lists = new Map<string, Listed[]>();
      for (const list of LISTS) lists.set(list.path, await listed(list, {}));
      snapshots.push({ at, lists });
    };
    const webviews: string[] = [];
    const devices: string[] = [];
    const accounts: string[] = [];
    for (let round = 0; round < 5; round++) {
      // New resources each round, and changes to some of the older ones, and a webview deleted.
      const webview = await seam.connectWebviews.create({ custom_metadata: metadata() });
      webviews.push(webview.connect_webview_id);
      const done = await sandbox.completeWebview(webview.connect_webview_id, `random-${round}@example.com`);
      const account = done.body.connect_webview.connected_account_id as string;
      accounts.push(account);
      devices.push(...(await seam.devices.list({ connected_account_id: account })).map((d) => d.device_id));
      await seam.connectWebviews.create({ custom_metadata: metadata() });
      for (const id of devices.filter((_, i) => (i + round) % 2 === 0)) {
        const removals = Object.fromEntries(['tenant', 'plan', 'vip'].map((key) => [key, null]));
        await seam.devices.update({ device_id: id, custom_metadata: { ...removals, ...metadata() } as never });
      }
      await seam.connectedAccounts.update({
        connected_account_id: accounts[round % accounts.length],
        custom_metadata: metadata(),
      });
      if (round % 2 === 1) await seam.connectWebviews.delete({ connect_webview_id: webviews[round - 1] });
      await snapshot();
    }
  });
  afterAll(() => server.stop());

  it('equals a plain-JavaScript filter over each moment', async () => {
    const selector = randomSelectors(keys, values, { minKeys: 0, maxKeys: 3, maxValues: 3 });
    await fc.assert(
      fc.asyncProperty(
        selector,
        fc.constantFrom(...LISTS),
        fc.integer({ min: 0, max: snapshots.length - 1 }),
        async (generated, list, index) => {
          const { at, lists } = snapshots[index];
          const then = lists.get(list.path)!;
          const got = await listed(list, { custom_metadata_match: generated, as_of: at });
          const expected = then.filter(({ custom_metadata }) => selects(custom_metadata, generated as Selector));
          expect(got).toEqual(expected);
        },
      ),
      { numRuns: 150, seed: 282 },
    );
  });
});
