import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SeamHttp, SeamHttpInvalidInputError } from '@seamapi/http/connect';
import fc from 'fast-check';
import { sandboxClient } from '../support/sandbox.js';
import { ServerProcess } from '../support/server-process.js';
import {
  LISTS,
  metadataLists,
  randomSelectors,
  selects,
  type List,
  type Listed,
  type Metadata,
  type Selector,
  type Value,
} from '../support/metadata-lists.js';

// The metadata the resources are given, one of these each, in turn: the selectors below tell them apart.
const VARIANTS: Metadata[] = [
  { tenant: 't1', plan: 'pro', tier: 'gold' },
  { tenant: 't2', plan: 'pro', tier: 'trial' },
  { tenant: 't3', internal_id: 'x-1' },
  {}, // an orphan
  { tenant: 't1', vip: true, tier: 'trial', internal_id: 'x-2' },
  { tenant: 'true', vip: false, plan: 'pro' },
];

// A GET cannot tell the string "true" from the boolean (as for custom_metadata_has): through the SDK's GET,
// the third element is what the service reads.
const SELECTORS: [string, Selector, Selector?][] = [
  ['a value', { tenant: 't1' }],
  ['a boolean', { vip: true }],
  ['in', { tenant: { in: ['t1', 't2'] } }],
  ['in of one value', { tenant: { in: ['t3'] } }],
  ['in, a string that reads as a boolean', { tenant: { in: ['true'] } }, { tenant: { in: [true] } }],
  ['not_in, which also matches what lacks the key', { tier: { not_in: ['trial'] } }],
  ['exists: false (the orphans among them)', { internal_id: { exists: false } }],
  ['exists: true', { internal_id: { exists: true } }],
  [
    'every form at once',
    { tenant: { in: ['t1', 't2'] }, plan: 'pro', internal_id: { exists: false }, tier: { not_in: ['trial'] } },
  ],
  ['no key matches', { tenant: { in: ['nobody'] } }],
];

// `custom_metadata_match` (an extension) on the three lists, through plain HTTP (POST and GET) and through
// the official SDK, which passes the parameter through as it is.
describe('custom_metadata_match on the lists', () => {
  const server = new ServerProcess();
  let seam: SeamHttp;
  const { post, listed } = metadataLists(server);
  const everything = new Map<string, Listed[]>();
  const expected = (list: List, selector: Selector, has: Metadata = {}) =>
    everything
      .get(list.path)!
      .filter(({ custom_metadata }) => selects(custom_metadata, selector) && selects(custom_metadata, has))
      .map(({ id }) => id);
  const ids = (items: Listed[]) => items.map(({ id }) => id);

  beforeAll(async () => {
    await server.start();
    seam = new SeamHttp({ apiKey: server.sandboxApiKey!, endpoint: server.url });
    const sandbox = sandboxClient(server);
    for (const [index, metadata] of VARIANTS.entries()) {
      const webview = await seam.connectWebviews.create({ custom_metadata: metadata });
      if (index === VARIANTS.length - 1) continue; // one webview is never completed
      const done = await sandbox.completeWebview(webview.connect_webview_id, `selector-${index}@example.com`);
      const accountId = done.body.connect_webview.connected_account_id as string;
      // Accounts and devices each get a variant other than their webview's.
      await seam.connectedAccounts.update({
        connected_account_id: accountId,
        custom_metadata: VARIANTS[(index + 1) % VARIANTS.length],
      });
      const devices = await seam.devices.list({ connected_account_id: accountId });
      for (const [n, device] of devices.entries()) {
        const variant = VARIANTS[(index + n + 2) % VARIANTS.length];
        const removals = Object.fromEntries(Object.keys(device.custom_metadata).map((key) => [key, null]));
        await seam.devices.update({
          device_id: device.device_id,
          custom_metadata: { ...removals, ...variant } as never,
        });
      }
    }
    for (const list of LISTS) everything.set(list.path, await listed(list, {}));
  });
  afterAll(() => server.stop());

  it('has every variant on every list, so that each selector below tells some apart', () => {
    for (const list of LISTS) {
      const variants = new Set(
        everything.get(list.path)!.map(({ custom_metadata }) => JSON.stringify(custom_metadata)),
      );
      expect(variants.size).toBeGreaterThanOrEqual(VARIANTS.length - 1);
    }
  });

  for (const list of LISTS) {
    for (const [shape, selector, asGetReadsIt] of SELECTORS) {
      it(`${list.path}, ${shape}: exactly the matching resources, by POST, by GET and through the SDK`, async () => {
        const matching = expected(list, selector);
        expect(ids(await listed(list, { custom_metadata_match: selector }))).toEqual(matching);
        const sdk = sdkList(seam, list.path);
        const viaSdk = (await sdk({ custom_metadata_match: selector, limit: 1000 })) as any[];
        expect(viaSdk.map((item) => item[list.id])).toEqual(asGetReadsIt ? expected(list, asGetReadsIt) : matching);
      });
    }

    it(`${list.path}: ANDs with custom_metadata_has, and pages through exactly the matches`, async () => {
      const selector: Selector = { tier: { not_in: ['gold'] } };
      const has = { plan: 'pro' };
      const matching = expected(list, selector, has);
      expect(matching.length).toBeGreaterThan(0);
      expect(ids(await listed(list, { custom_metadata_match: selector, custom_metadata_has: has }))).toEqual(matching);
      const paged: string[] = [];
      let cursor: string | undefined;
      do {
        const { body } = await post(list.path, {
          custom_metadata_match: { tenant: { in: ['t1', 't2', 't3'] } },
          limit: 2,
          ...(cursor ? { page_cursor: cursor } : {}),
        });
        paged.push(...(body[list.items] as any[]).map((item) => item[list.id]));
        cursor = body.pagination.next_page_cursor ?? undefined;
        // The next page's URL carries the selector as a GET does.
        if (cursor) expect(body.pagination.next_page_url).toContain('custom_metadata_match.tenant.in=t2');
      } while (cursor);
      expect(paged).toEqual(expected(list, { tenant: { in: ['t1', 't2', 't3'] } }));
    });
  }

  it('answers a bad selector 400 invalid_input naming the key and what is wrong', async () => {
    const bad: [unknown, string][] = [
      [{ tenant: 5 }, 'custom_metadata_match.tenant'],
      [{ tenant: { in: 't1' } }, 'custom_metadata_match.tenant.in'],
      [{ tenant: { in: [] } }, 'custom_metadata_match.tenant.in'],
      [{ tenant: { in: ['t1', 3] } }, 'custom_metadata_match.tenant.in.1'],
      [{ tenant: { in: Array.from({ length: 101 }, (_, i) => `t${i}`) } }, 'custom_metadata_match.tenant.in'],
      [{ tenant: { exists: 'yes' } }, 'custom_metadata_match.tenant.exists'],
      [{ tenant: { like: 't%' } }, 'custom_metadata_match.tenant'],
      [{ tenant: { in: ['t1'], not_in: ['t2'] } }, 'custom_metadata_match.tenant'],
      [Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])), 'custom_metadata_match'],
      ['tenant=t1', 'custom_metadata_match'],
    ];
    for (const list of LISTS) {
      for (const [selector, named] of bad) {
        const { status, body } = await post(list.path, { custom_metadata_match: selector });
        expect({ status, type: body.error?.type }).toEqual({ status: 400, type: 'invalid_input' });
        expect(body.error.message).toContain(`"${named}"`);
      }
    }
    // The SDK raises its own invalid-input error, naming the parameter.
    const error = await seam.devices
      .list({ custom_metadata_match: { tenant: { in: ['t1'], exists: true } } } as never)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SeamHttpInvalidInputError);
    expect((error as SeamHttpInvalidInputError).message).toContain('custom_metadata_match.tenant');
  });

  it('answers as before to a list that does not use it', async () => {
    const { body } = await post('/devices/list', { custom_metadata_has: { tenant: 't1' } });
    expect(body.devices.map((d: any) => d.device_id)).toEqual(expected(LISTS[0], { tenant: 't1' }));
    expect(Object.keys(body).sort()).toEqual(['devices', 'ok', 'pagination']);
  });

  // Random selectors over the devices' metadata: the service's answer equals the reference filter above.
  it('equals a plain-JavaScript filter for random selectors (fast-check)', async () => {
    const keys = ['tenant', 'plan', 'tier', 'internal_id', 'vip', 'absent'];
    const values: Value[] = ['t1', 't2', 't3', 'true', 'pro', 'gold', 'trial', 'x-1', 'x-2', true, false];
    const selector = randomSelectors(keys, values, { minKeys: 1, maxKeys: 4, maxValues: 4 });
    await fc.assert(
      fc.asyncProperty(selector, fc.constantFrom(...LISTS), async (generated, list) => {
        const got = ids(await listed(list, { custom_metadata_match: generated }));
        expect(got).toEqual(expected(list, generated as Selector));
      }),
      { numRuns: 150, seed: 28 },
    );
  });
});

function sdkList(seam: SeamHttp, path: string): (params: object) => Promise<unknown> {
  switch (path) {
    case '/devices/list':
      return (params) => seam.devices.list(params as never);
    case '/connected_accounts/list':
      return (params) => seam.connectedAccounts.list(params as never);
    default:
      return (params) => seam.connectWebviews.list(params as never);
  }
}
