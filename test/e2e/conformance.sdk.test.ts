import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SeamHttp, SeamHttpApiError, SeamHttpInvalidInputError } from '@seamapi/http/connect';
import { openapi, schemas } from '@seamapi/types/connect';
import { z } from 'zod';
import { sandboxClient } from '../support/sandbox.js';
import { schemaCheck } from '../support/schema-check.js';
import { ServerProcess } from '../support/server-process.js';

/**
 * Conformance with Seam through the official SDK 2.x: every SDK route under the five prefixes this service
 * is about is either called here or listed as not served (and then answers 404 `endpoint_not_found`), and
 * every object the calls return, and every event of a full story, parses with `@seamapi/types`' zod schema.
 */
const PREFIXES = /^\/(connect_webviews|connected_accounts|devices|events|webhooks)\//;
const NOT_SERVED = [
  '/connected_accounts/sync',
  '/devices/delete',
  '/devices/list_device_providers',
  '/devices/report_provider_metadata',
  '/devices/simulate/connect',
  '/devices/simulate/connect_to_hub',
  '/devices/simulate/disconnect',
  '/devices/simulate/disconnect_from_hub',
  '/devices/simulate/paid_subscription',
  '/devices/simulate/remove',
];

/** The extension events' own schema, as the README documents it (one per metadata change). */
const extensionEvent = z.object({
  event_id: z.string().uuid(),
  workspace_id: z.string().uuid(),
  created_at: z.string().datetime(),
  occurred_at: z.string().datetime(),
  event_type: z.enum([
    'device.custom_metadata_changed',
    'connected_account.custom_metadata_changed',
    'connect_webview.custom_metadata_changed',
  ]),
  custom_metadata: z.record(z.union([z.string(), z.boolean()])),
  previous_custom_metadata: z.record(z.union([z.string(), z.boolean()])),
  changes: z.object({ added: z.record(z.unknown()), removed: z.record(z.unknown()), changed: z.record(z.unknown()) }),
  cause: z.object({ type: z.enum(['created', 'api_update', 'webview_inherited', 'webview_replaced']) }).passthrough(),
  actor: z.object({ type: z.string() }).passthrough(),
});

describe('conformance with Seam through SDK 2.x and @seamapi/types', () => {
  const server = new ServerProcess(undefined, { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' });
  let seam: SeamHttp;
  const check = schemaCheck();
  const conforms = check.conforms;
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.sandboxApiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  const refusal = async (call: Promise<unknown>) => {
    const error = await call.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SeamHttpApiError);
    return error as SeamHttpApiError;
  };

  beforeAll(async () => {
    await server.start();
    seam = new SeamHttp({ apiKey: server.sandboxApiKey!, endpoint: server.url });
  });
  afterAll(() => server.stop());

  it('serves every SDK route under its prefixes, or lists it as not served and answers 404 endpoint_not_found', async () => {
    const sdkRoutes = Object.keys(openapi.paths as Record<string, unknown>).filter((path) => PREFIXES.test(path));
    const served = sdkRoutes.filter((path) => !NOT_SERVED.includes(path));
    expect(NOT_SERVED.every((path) => sdkRoutes.includes(path))).toBe(true);
    expect(served.sort()).toEqual(
      [
        '/connect_webviews/create',
        '/connect_webviews/delete',
        '/connect_webviews/get',
        '/connect_webviews/list',
        '/connected_accounts/delete',
        '/connected_accounts/get',
        '/connected_accounts/list',
        '/connected_accounts/simulate/disconnect',
        '/connected_accounts/update',
        '/devices/get',
        '/devices/list',
        '/devices/update',
        '/devices/unmanaged/get',
        '/devices/unmanaged/list',
        '/devices/unmanaged/update',
        '/events/get',
        '/events/list',
        '/webhooks/create',
        '/webhooks/delete',
        '/webhooks/get',
        '/webhooks/list',
        '/webhooks/update',
      ].sort(),
    );
    for (const path of NOT_SERVED) {
      const { status, body } = await post(path, {});
      expect([path, status, body]).toEqual([
        path,
        404,
        { ok: false, error: expect.objectContaining({ type: 'endpoint_not_found' }) },
      ]);
    }
  });

  it('calls every served SDK method on a full story; every object and every event parses with @seamapi/types', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const sandbox = sandboxClient(server);
    // Create and complete a webview: a new account inherits its metadata.
    const webview = conforms(
      'connect_webview',
      schemas.connect_webview,
      await seam.connectWebviews.create({
        custom_metadata: { internal_account_id: 'user-1', vip: true },
        customer_key: 'c1',
      }),
    );
    conforms(
      'connect_webview',
      schemas.connect_webview,
      await seam.connectWebviews.get({ connect_webview_id: webview.connect_webview_id }),
    );
    for (const w of await seam.connectWebviews.list({ customer_key: 'c1' }))
      conforms('connect_webview', schemas.connect_webview, w);
    const completed = await sandbox.completeWebview(webview.connect_webview_id, 'conformance@example.com');
    const accountId = completed.body.connect_webview.connected_account_id as string;

    const account = conforms(
      'connected_account',
      schemas.connected_account,
      await seam.connectedAccounts.get({ connected_account_id: accountId }),
    );
    expect(account.custom_metadata).toEqual({ internal_account_id: 'user-1', vip: true });
    for (const a of await seam.connectedAccounts.list()) conforms('connected_account', schemas.connected_account, a);
    await seam.connectedAccounts.update({
      connected_account_id: accountId,
      custom_metadata: { internal_account_id: 'user-1', plan: 'pro' },
    });

    const devices = await seam.devices.list({ connected_account_id: accountId });
    for (const d of devices) conforms('device', schemas.device, d);
    conforms('device', schemas.device, await seam.devices.get({ device_id: devices[0].device_id }));
    conforms('device', schemas.device, await seam.devices.get({ name: devices[0].display_name }));
    await seam.devices.update({ device_id: devices[0].device_id, custom_metadata: { floor: '1' } });

    // Disconnect (devices carry the error), reconnect through a second webview with metadata (replaced).
    await seam.connectedAccounts.simulate.disconnect({ connected_account_id: accountId });
    conforms('device', schemas.device, await seam.devices.get({ device_id: devices[0].device_id }));
    conforms(
      'connected_account',
      schemas.connected_account,
      await seam.connectedAccounts.get({ connected_account_id: accountId }),
    );
    const again = await seam.connectWebviews.create({
      custom_metadata: { internal_account_id: 'user-1', plan: 'team' },
    });
    await sandbox.completeWebview(again.connect_webview_id, 'conformance@example.com');
    // A reconnection of an account that was never disconnected announces no connected_account.connected.
    const third = await seam.connectWebviews.create({});
    await sandbox.completeWebview(third.connect_webview_id, 'conformance@example.com');
    await seam.connectWebviews.delete({ connect_webview_id: webview.connect_webview_id });

    const webhook = conforms(
      'webhook',
      schemas.webhook,
      await seam.webhooks.create({ url: 'http://127.0.0.1:9/hook', event_types: ['lock.locked'] }),
    );
    conforms('webhook', schemas.webhook, await seam.webhooks.get({ webhook_id: webhook.webhook_id }));
    for (const w of await seam.webhooks.list()) conforms('webhook', schemas.webhook, w);
    await seam.webhooks.update({
      webhook_id: webhook.webhook_id,
      event_types: ['device.connected', 'device.disconnected'],
    });
    await seam.webhooks.delete({ webhook_id: webhook.webhook_id });

    const events = await seam.events.list({ since, connected_account_id: accountId });
    const types = events.map((e) => e.event_type);
    expect(types.filter((t) => t === 'connected_account.connected')).toHaveLength(2);
    expect(types).toContain('device.connected');
    expect(types.filter((t) => t === 'device.disconnected')).toHaveLength(2);
    expect(types.some((t) => t.endsWith('custom_metadata_changed'))).toBe(false);
    for (const event of events) conforms(`event ${event.event_type}`, schemas.seam_event, event);
    conforms('event', schemas.seam_event, await seam.events.get({ event_id: events[0].event_id }));
    conforms('event', schemas.seam_event, await seam.events.get({ event_type: 'device.connected' }));
    conforms('event', schemas.seam_event, await seam.events.get({ device_id: devices[0].device_id }));

    const extensions = await seam.events.list({
      since,
      event_types: [
        'device.custom_metadata_changed',
        'connected_account.custom_metadata_changed',
        'connect_webview.custom_metadata_changed',
      ] as never,
    });
    expect(extensions.length).toBeGreaterThanOrEqual(5);
    for (const event of extensions) conforms(`extension ${event.event_type}`, extensionEvent, event);
    expect(await seam.events.list({ since, event_type: 'lock.locked' })).toEqual([]);

    const page = await seam.client.get('/connect_webviews/list', { params: { limit: 1 } });
    conforms('pagination', schemas.pagination, page.data.pagination);
    expect(check.failures).toEqual([]);
    expect(check.checked).toBeGreaterThanOrEqual(35);
  });

  describe('every list filter of the three list routes filters, or answers 400 naming it', () => {
    const paramsOf = (path: string) => {
      const operation = (openapi.paths as Record<string, any>)[path].post;
      return Object.keys(operation.requestBody.content['application/json'].schema.properties).sort();
    };
    const PAGINATION = ['limit', 'page_cursor'];
    /** A filter on what no resource here has (a user identity, a space, a location) matches nothing. */
    const matchesNothing = async (route: string, param: string, value = '00000000-0000-4000-8000-000000000000') => {
      const { status, body } = await post(`/${route}`, { [param]: value });
      const [list] = Object.values(body).filter(Array.isArray);
      expect([param, status, list]).toEqual([param, 200, []]);
    };

    it('connect_webviews/list', async () => {
      const tag = `cw-filters-${Date.now()}`;
      const a = await seam.connectWebviews.create({ custom_metadata: { tag }, customer_key: `${tag}-a` });
      const b = await seam.connectWebviews.create({
        custom_metadata: { tag, other: 'searchable-value' },
        customer_key: `${tag}-b`,
      });
      const ids = async (params: Record<string, unknown>) =>
        (await seam.connectWebviews.list({ custom_metadata_has: { tag }, ...params })).map((w) => w.connect_webview_id);
      const tested: Record<string, () => Promise<void>> = {
        custom_metadata_has: async () => expect(await ids({})).toEqual([b.connect_webview_id, a.connect_webview_id]),
        customer_key: async () => expect(await ids({ customer_key: `${tag}-a` })).toEqual([a.connect_webview_id]),
        search: async () => expect(await ids({ search: 'searchable-val' })).toEqual([b.connect_webview_id]),
        user_identifier_key: () => matchesNothing('connect_webviews/list', 'user_identifier_key', 'u1'),
      };
      expect([...Object.keys(tested), ...PAGINATION].sort()).toEqual(paramsOf('/connect_webviews/list'));
      for (const check of Object.values(tested)) await check();
    });

    it('connected_accounts/list', async () => {
      const tag = `ca-filters-${Date.now()}`;
      const sandbox = sandboxClient(server);
      const made: string[] = [];
      for (const email of [`${tag}-a@example.com`, `${tag}-b@example.com`]) {
        const webview = await seam.connectWebviews.create({ custom_metadata: { tag, who: email } });
        made.push(
          (await sandbox.completeWebview(webview.connect_webview_id, email)).body.connect_webview.connected_account_id,
        );
      }
      const ids = async (params: Record<string, unknown>) =>
        (await seam.connectedAccounts.list({ custom_metadata_has: { tag }, ...params })).map(
          (a) => a.connected_account_id,
        );
      const tested: Record<string, () => Promise<void>> = {
        custom_metadata_has: async () => expect(await ids({})).toEqual([made[1], made[0]]),
        search: async () => expect(await ids({ search: `${tag}-a@` })).toEqual([made[0]]),
        customer_key: async () => expect(await ids({ customer_key: `${tag}-none` })).toEqual([]),
        user_identifier_key: () => matchesNothing('connected_accounts/list', 'user_identifier_key', 'u1'),
        space_id: () => matchesNothing('connected_accounts/list', 'space_id'),
      };
      expect([...Object.keys(tested), ...PAGINATION].sort()).toEqual(paramsOf('/connected_accounts/list'));
      for (const check of Object.values(tested)) await check();
    });

    it('devices/list', async () => {
      const sandbox = sandboxClient(server);
      const tag = `dev-filters-${Date.now()}`;
      const webview = await seam.connectWebviews.create({ accepted_providers: ['yale'] });
      const done = await sandbox.completeWebview(webview.connect_webview_id, `${tag}@example.com`, {
        provider: 'yale',
      });
      const accountId = done.body.connect_webview.connected_account_id as string;
      const devices = await seam.devices.list({ connected_account_id: accountId });
      const [lobby, storage] = [
        devices.find((d) => d.display_name === 'Lobby')!,
        devices.find((d) => d.display_name === 'Storage Room')!,
      ];
      await seam.devices.update({ device_id: lobby.device_id, custom_metadata: { tag } });
      const ids = async (params: Record<string, unknown>) =>
        (await seam.devices.list({ connected_account_id: accountId, ...params })).map((d) => d.device_id).sort();
      const both = [lobby.device_id, storage.device_id].sort();
      const tested: Record<string, () => Promise<void>> = {
        connected_account_id: async () => expect(await ids({})).toEqual(both),
        connected_account_ids: async () =>
          expect(
            (await seam.devices.list({ connected_account_ids: [accountId] })).map((d) => d.device_id).sort(),
          ).toEqual(both),
        connect_webview_id: async () =>
          expect(await ids({ connect_webview_id: webview.connect_webview_id })).toEqual(both),
        created_before: async () => expect(await ids({ created_before: new Date(0) })).toEqual([]),
        custom_metadata_has: async () => expect(await ids({ custom_metadata_has: { tag } })).toEqual([lobby.device_id]),
        device_ids: async () => expect(await ids({ device_ids: [storage.device_id] })).toEqual([storage.device_id]),
        device_type: async () => expect(await ids({ device_type: 'august_lock' })).toEqual([]),
        device_types: async () => expect(await ids({ device_types: ['august_lock', 'yale_lock'] })).toEqual(both),
        manufacturer: async () => expect(await ids({ manufacturer: 'august' })).toEqual([]),
        search: async () => expect(await ids({ search: 'storage' })).toEqual([storage.device_id]),
        customer_key: async () => expect(await ids({ customer_key: `${tag}-none` })).toEqual([]),
        user_identifier_key: () => matchesNothing('devices/list', 'user_identifier_key', 'u1'),
        exclude_if: async () => expect(await ids({ exclude_if: ['can_remotely_unlock'] })).toEqual([]),
        include_if: async () => expect(await ids({ include_if: ['can_remotely_unlock'] })).toEqual(both),
        space_id: () => matchesNothing('devices/list', 'space_id'),
        unstable_location_id: () => matchesNothing('devices/list', 'unstable_location_id'),
      };
      expect([...Object.keys(tested), ...PAGINATION].sort()).toEqual(paramsOf('/devices/list'));
      for (const check of Object.values(tested)) await check();
    });
  });

  it('words errors as Seam does: a wrong type, a missing id, two issues at once', async () => {
    const wrongType = await refusal(seam.connectWebviews.create({ custom_metadata: { k: 1 as never } }));
    expect(wrongType).toBeInstanceOf(SeamHttpInvalidInputError);
    expect(wrongType.message).toBe('Invalid input for "custom_metadata.k"');
    const wrongTypeBody = await post('/connect_webviews/create', { custom_metadata: { k: 1 } });
    expect(wrongTypeBody.body.error.validation_errors.custom_metadata.k._errors).toEqual([
      'Expected string, received number',
      'Expected boolean, received number',
      'Expected null, received number',
    ]);

    const both = await post('/connected_accounts/get', {
      connected_account_id: '00000000-0000-4000-8000-000000000000',
      email: 'someone@example.com',
    });
    expect([both.status, both.body.error.message]).toEqual([
      400,
      'Specify either connected_account_id or email, not both for "email"',
    ]);

    const missing = await post('/connect_webviews/get', {});
    expect(missing.body.error.message).toBe('Required for "connect_webview_id"');
    expect((await post('/webhooks/create', {})).body.error.message).toBe('Required for "url"');

    const longKey = 'k'.repeat(41);
    const twoIssues = await post('/connect_webviews/create', { custom_metadata: { a: 1, [longKey]: 'v' } });
    expect(twoIssues.body.error.message).toBe(
      `2 Input Errors: Invalid input for "custom_metadata.a", String must contain at most 40 character(s) for "custom_metadata.${longKey}"`,
    );
  });

  it('refuses since with between, and reads between as exclusive at both ends', async () => {
    const refused = await post('/events/list', {
      since: '2026-01-01T00:00:00Z',
      between: ['2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z'],
    });
    expect([refused.status, refused.body.error.message]).toEqual([
      400,
      'Cannot specify both since and between for "between"',
    ]);
    const webview = await seam.connectWebviews.create({});
    await sandboxClient(server).completeWebview(webview.connect_webview_id, `between-${Date.now()}@example.com`);
    const [event] = await seam.events.list({
      since: new Date(0).toISOString(),
      connect_webview_id: webview.connect_webview_id,
    });
    const at = Date.parse(event.occurred_at);
    const between = async (from: number, to: number) =>
      (
        await seam.events.list({
          between: [new Date(from).toISOString(), new Date(to).toISOString()],
          connect_webview_id: webview.connect_webview_id,
        })
      ).map((e) => e.event_id);
    expect(await between(at - 1, at + 1)).toContain(event.event_id);
    expect(await between(at, at + 60_000)).not.toContain(event.event_id);
    expect(await between(at - 60_000, at)).not.toContain(event.event_id);
  });

  it("opens a webview's page only with the auth_token of its url", async () => {
    const webview = await seam.connectWebviews.create({});
    const url = new URL(webview.url);
    expect(url.searchParams.get('auth_token')).toMatch(/^[\w-]{32}$/);
    const withToken = await fetch(webview.url);
    expect(withToken.status).toBe(200);
    expect(await withToken.text()).toContain('Connect your account');
    url.searchParams.delete('auth_token');
    const withoutToken = await fetch(url);
    expect(withoutToken.status).toBe(404);
    expect(withoutToken.headers.get('content-type')).toContain('text/html');
    url.searchParams.set('auth_token', 'x'.repeat(32));
    expect((await fetch(url)).status).toBe(404);
    // Nor can the page's form be posted without it.
    const response = await fetch(`${server.url}/connect_webviews/view/complete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        connect_webview_id: webview.connect_webview_id,
        email: 'x@example.com',
        password: '1234',
      }),
    });
    expect(response.status).toBe(404);
  });
});
