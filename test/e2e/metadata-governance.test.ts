import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { keyCountsOver, byKey } from '../support/metadata-counts.js';
import { metadataLists } from '../support/metadata-lists.js';
import { sandboxClient } from '../support/sandbox.js';
import { ServerProcess } from '../support/server-process.js';

// Governing metadata (extensions, issue 29) through plain HTTP on a real server: schemas set and read,
// every API write checked against them, the compliance report of what predates them, and the key inventory.
describe('metadata governance', () => {
  const server = new ServerProcess();
  const { post } = metadataLists(server);
  const deviceMetadata = async (device_id: string) =>
    (await post('/devices/get', { device_id })).body.device.custom_metadata;
  const historyLength = async (device_id: string) =>
    (await post('/devices/custom_metadata_history', { device_id })).body.custom_metadata_history.length;
  let deviceIds: string[] = [];

  beforeAll(async () => {
    await server.start();
    for (const n of [1, 2, 3]) {
      const { body } = await post('/connect_webviews/create', { custom_metadata: { tenant: `t${n}` } });
      await sandboxClient(server).completeWebview(body.connect_webview.connect_webview_id, `schema${n}@example.com`);
    }
    deviceIds = (await post('/devices/list', {})).body.devices.map((d: { device_id: string }) => d.device_id);
    expect(deviceIds.length).toBeGreaterThanOrEqual(3);
    // Before any schema: one device with the key misspelt, one right, the rest as their provider made them ({}).
    expect(
      (await post('/devices/update', { device_id: deviceIds[0], custom_metadata: { internalAccountId: 'u0' } })).status,
    ).toBe(200);
    expect(
      (await post('/devices/update', { device_id: deviceIds[1], custom_metadata: { internal_account_id: 'u1' } }))
        .status,
    ).toBe(200);
  });
  afterAll(() => server.stop());

  const deviceSchema = {
    internal_account_id: { type: 'string', required: true, description: 'Our account id' },
    vip: { type: 'boolean' },
    plan: { type: 'enum', values: ['free', 'pro'] },
  };

  it('has none at first: any metadata goes, as at Seam', async () => {
    const { status, body } = await post('/custom_metadata/schemas/get', { resource_type: 'device' });
    expect(status).toBe(200);
    expect(body.custom_metadata_schema).toEqual({
      resource_type: 'device',
      keys: {},
      allow_other_keys: true,
      updated_at: null,
    });
  });

  it('is set, and read back with its time', async () => {
    const updated = await post('/custom_metadata/schemas/update', {
      resource_type: 'device',
      keys: deviceSchema,
      allow_other_keys: false,
    });
    expect(updated.status).toBe(200);
    const expected = {
      resource_type: 'device',
      keys: {
        internal_account_id: { type: 'string', required: true, description: 'Our account id' },
        vip: { type: 'boolean', required: false },
        plan: { type: 'enum', values: ['free', 'pro'], required: false },
      },
      allow_other_keys: false,
      updated_at: expect.any(String),
    };
    expect(updated.body.custom_metadata_schema).toEqual(expected);
    const read = await fetch(`${server.url}/custom_metadata/schemas/get?resource_type=device`, {
      headers: { authorization: `Bearer ${server.sandboxApiKey}` },
    });
    expect(((await read.json()) as any).custom_metadata_schema).toEqual(updated.body.custom_metadata_schema);
  });

  it('refuses a write that breaks it with 400 naming the key and the rule, and changes nothing', async () => {
    const before = await deviceMetadata(deviceIds[1]);
    const revisions = await historyLength(deviceIds[1]);
    for (const [custom_metadata, key, rule] of [
      [{ vip: 'true' }, 'vip', 'type'],
      [{ plan: 'gold' }, 'plan', 'values'],
      [{ internal_account_id: null }, 'internal_account_id', 'required'],
      [{ internalAccountId: 'u1' }, 'internalAccountId', 'allow_other_keys'],
    ] as const) {
      const { status, body } = await post('/devices/update', { device_id: deviceIds[1], custom_metadata });
      expect(status).toBe(400);
      expect(body.error.type).toBe('invalid_input');
      expect(body.error.message).toContain(key);
      expect(body.error.message).toContain(`rule: ${rule}`);
    }
    expect(await deviceMetadata(deviceIds[1])).toEqual(before);
    expect(await historyLength(deviceIds[1])).toBe(revisions);
    // A write that satisfies it goes.
    const ok = await post('/devices/update', { device_id: deviceIds[1], custom_metadata: { vip: true, plan: 'pro' } });
    expect(ok.status).toBe(200);
    expect(await deviceMetadata(deviceIds[1])).toEqual({ internal_account_id: 'u1', vip: true, plan: 'pro' });
  });

  it('reports the devices that predate it, and why, page by page', async () => {
    const { status, body } = await post('/custom_metadata/schemas/report', { resource_type: 'device' });
    expect(status).toBe(200);
    const reported = body.noncompliant_resources as {
      resource_id: string;
      custom_metadata: object;
      violations: { key: string; rule: string }[];
    }[];
    // Every device but the one fixed above: the misspelt one, and those their provider made with {}.
    expect(reported.map((r) => r.resource_id).sort()).toEqual(deviceIds.filter((id) => id !== deviceIds[1]).sort());
    const misspelt = reported.find((r) => r.resource_id === deviceIds[0])!;
    expect(misspelt.custom_metadata).toEqual({ internalAccountId: 'u0' });
    expect(misspelt.violations.map((v) => [v.key, v.rule])).toEqual([
      ['internalAccountId', 'allow_other_keys'],
      ['internal_account_id', 'required'],
    ]);
    for (const other of reported.filter((r) => r.resource_id !== deviceIds[0])) {
      expect(other.violations.map((v) => [v.key, v.rule])).toEqual([['internal_account_id', 'required']]);
    }
    // The same, one at a time.
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const next: any = (
        await post('/custom_metadata/schemas/report', { resource_type: 'device', limit: 1, page_cursor: cursor })
      ).body;
      paged.push(...next.noncompliant_resources.map((r: { resource_id: string }) => r.resource_id));
      cursor = next.pagination.next_page_cursor;
    } while (cursor);
    expect(paged).toEqual(reported.map((r) => r.resource_id));
  });

  it('refuses a Connect Webview whose metadata the account it creates could not hold', async () => {
    const accountSchema = await post('/custom_metadata/schemas/update', {
      resource_type: 'connected_account',
      keys: { tenant: { type: 'enum', values: ['t1', 't2', 't3'], required: true } },
    });
    expect(accountSchema.status).toBe(200);
    const webviews = async () => (await post('/connect_webviews/list', {})).body.connect_webviews.length;
    const count = await webviews();
    const refused = await post('/connect_webviews/create', { custom_metadata: { tenant: 't9' } });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain('tenant');
    expect(refused.body.error.message).toContain('connected_account schema');
    expect((await post('/connect_webviews/create', {})).status).toBe(400); // `tenant` is required
    expect(await webviews()).toBe(count);
    expect((await post('/connect_webviews/create', { custom_metadata: { tenant: 't2' } })).status).toBe(200);
    // And the account's own updates, which replace its metadata.
    const [account] = (await post('/connected_accounts/list', {})).body.connected_accounts;
    const update = await post('/connected_accounts/update', {
      connected_account_id: account.connected_account_id,
      custom_metadata: { plan: 'pro' },
    });
    expect(update.status).toBe(400);
    expect(update.body.error.message).toContain('rule: required');
  });

  it('refuses a malformed schema, naming the key and the field, and keeps the one before', async () => {
    const before = (await post('/custom_metadata/schemas/get', { resource_type: 'device' })).body;
    for (const [keys, field] of [
      [{ a: { type: 'number' } }, 'a'],
      [{ a: { type: 'string', pattern: '^(a+)+$' } }, 'pattern'],
      [{ a: { type: 'enum' } }, 'values'],
      ['not an object', 'keys'],
    ] as const) {
      const { status, body } = await post('/custom_metadata/schemas/update', { resource_type: 'device', keys });
      expect(status).toBe(400);
      expect(body.error.type).toBe('invalid_input');
      expect(JSON.stringify(body.error)).toContain(field);
    }
    const wrongType = await post('/custom_metadata/schemas/get', { resource_type: 'lock' });
    expect(wrongType.status).toBe(400);
    expect((await post('/custom_metadata/schemas/get', { resource_type: 'device' })).body).toEqual(before);
  });

  const inventory = async (resource_type: string, limit?: number) => {
    const keys: { key: string }[] = [];
    let cursor: string | null = null;
    do {
      const { status, body } = await post('/custom_metadata/keys/list', { resource_type, limit, page_cursor: cursor });
      expect(status).toBe(200);
      keys.push(...body.custom_metadata_keys);
      cursor = body.pagination.next_page_cursor;
    } while (cursor);
    return keys.sort(byKey);
  };

  it("lists each key's count and most frequent values, equal to a count over the resources", async () => {
    // Each device brought into the schema (the misspelt key removed in the same write), with ties.
    for (const [n, id] of deviceIds.entries()) {
      const update = await post('/devices/update', {
        device_id: id,
        custom_metadata: {
          internalAccountId: null,
          internal_account_id: `u${n % 2}`,
          plan: n % 3 === 0 ? 'free' : 'pro',
          vip: n % 2 === 0,
        },
      });
      expect([update.status, update.body.error]).toEqual([200, undefined]);
    }
    const devices = async () =>
      (await post('/devices/list', {})).body.devices.map((d: { custom_metadata: object }) => d.custom_metadata);
    expect(await inventory('device')).toEqual(keyCountsOver(await devices()));
    expect(await inventory('device', 1)).toEqual(keyCountsOver(await devices()));
    const accounts = (await post('/connected_accounts/list', {})).body.connected_accounts.map(
      (a: { custom_metadata: object }) => a.custom_metadata,
    );
    expect(await inventory('connected_account')).toEqual(keyCountsOver(accounts));
    // A deletion takes its resources' pairs out of the counts.
    const [account] = (await post('/connected_accounts/list', {})).body.connected_accounts;
    expect(
      (await post('/connected_accounts/delete', { connected_account_id: account.connected_account_id })).status,
    ).toBe(200);
    expect(await inventory('device')).toEqual(keyCountsOver(await devices()));
  });
});
