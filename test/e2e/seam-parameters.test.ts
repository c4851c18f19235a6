import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openapi } from '@seamapi/types/connect';
import { sandboxClient } from '../support/sandbox.js';
import { ServerProcess } from '../support/server-process.js';

/**
 * Every request parameter that Seam's OpenAPI document (`@seamapi/types`) gives a route this service serves is
 * sent, and must either change the answer (or what the route changed) against the same request without it, or
 * be refused with 400 "Not supported by this service". A parameter that is accepted and changes nothing fails:
 * so does a parameter Seam adds later, until it is handled. The value sent is the one below for known
 * parameters, or one made from its schema.
 */
type Params = Record<string, unknown>;
interface Answer {
  status: number;
  body: Record<string, any>;
}
interface RouteProbe {
  /** The request without the parameter under test (fresh resources for a write). */
  baseline: () => Promise<Params>;
  /** What the request did, normalised: its answer for a read, the resource read back for a write. */
  observe?: (answer: Answer, params: Params) => Promise<unknown>;
  /** Parameters that name the resource instead of the baseline's id (`name` for `device_id`). */
  instead?: Record<string, string>;
}

const root = join(import.meta.dirname, '../..');
const served = Object.keys(
  (JSON.parse(readFileSync(join(root, 'openapi.json'), 'utf8')) as { paths: Record<string, unknown> }).paths,
);
const seamPaths = openapi.paths as Record<string, any>;
const NOT_SUPPORTED = /Not supported by this service/;

describe('every Seam parameter of every served route is honoured or refused', () => {
  const server = new ServerProcess(undefined, { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' });
  const post = async (path: string, body: Params): Promise<Answer> => {
    const response = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.sandboxApiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  let n = 0;
  const connect = async (provider: string, options: Params = {}) => {
    const webview = (await post('/connect_webviews/create', { accepted_providers: [provider], ...options })).body
      .connect_webview;
    const email = `probe-${(n += 1)}@example.com`;
    const done = await sandboxClient(server).completeWebview(webview.connect_webview_id, email, { provider });
    const accountId = done.body.connect_webview.connected_account_id as string;
    const devices = (await post('/devices/list', { connected_account_id: accountId })).body.devices ?? [];
    const unmanaged = (await post('/devices/unmanaged/list', { connected_account_id: accountId })).body.devices;
    const all = [...devices, ...unmanaged];
    return {
      accountId,
      email,
      deviceIds: all.map((d: any) => d.device_id as string),
      names: all.map((d: any) => (d.display_name ?? d.properties.name) as string),
    };
  };
  /** Ids, times, urls and the fresh emails differ from one fresh resource to the next: left out. */
  const normalise = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(normalise);
    if (value && typeof value === 'object')
      return Object.fromEntries(
        Object.entries(value)
          .filter(([key]) => !/(_id|_at|^url|^user_identifier|^secret)$/.test(key))
          .map(([key, item]) => [key, normalise(item)]),
      );
    return typeof value === 'string' && /^probe-\d+@example\.com$/.test(value) ? '<email>' : value;
  };
  const readBack = (path: string, idField: string) => async (_: Answer, params: Params) =>
    normalise((await post(path, { [idField]: params[idField] })).body);
  const ctx: Record<string, any> = {};

  const lists = (): RouteProbe => ({ baseline: async () => ({}) });
  const gets = (id: () => string): RouteProbe => ({
    baseline: async () => ({ device_id: id() }),
    instead: { name: 'device_id' },
  });
  const LOCK_LISTS = ['/locks/list', '/devices/unmanaged/list'];
  /**
   * Honoured, but with no effect that the data here can show: each with the reason, and the test that shows
   * it working elsewhere.
   */
  const WITHOUT_VISIBLE_EFFECT: Record<string, Record<string, string>> = {
    '/noise_sensors/list': {
      exclude_if: 'no noise sensor has any capability flag, so excluding one removes none (see /devices/list)',
    },
  };
  const ROUTES: Record<string, RouteProbe> = {
    '/connect_webviews/create': { baseline: async () => ({}), observe: async (a) => normalise(a.body) },
    '/connect_webviews/get': { baseline: async () => ({ connect_webview_id: ctx.webviewId }) },
    '/connect_webviews/delete': {
      baseline: async () => ({
        connect_webview_id: (await post('/connect_webviews/create', {})).body.connect_webview.connect_webview_id,
      }),
    },
    '/connect_webviews/list': lists(),
    '/connected_accounts/get': {
      baseline: async () => ({ connected_account_id: ctx.august.accountId }),
      instead: { email: 'connected_account_id' },
    },
    '/connected_accounts/list': lists(),
    '/connected_accounts/update': {
      baseline: async () => ({ connected_account_id: (await connect('yale')).accountId }),
      observe: readBack('/connected_accounts/get', 'connected_account_id'),
    },
    '/connected_accounts/delete': {
      baseline: async () => ({ connected_account_id: (await connect('yale')).accountId }),
      observe: readBack('/connected_accounts/get', 'connected_account_id'),
    },
    '/connected_accounts/simulate/disconnect': {
      baseline: async () => ({ connected_account_id: (await connect('yale')).accountId }),
    },
    '/devices/get': gets(() => ctx.august.deviceIds[0]),
    '/devices/list': lists(),
    '/devices/update': {
      baseline: async () => ({ device_id: (await connect('yale')).deviceIds[0] }),
      observe: async (_, params) => [
        normalise((await post('/devices/get', { device_id: params.device_id })).body),
        normalise((await post('/devices/unmanaged/get', { device_id: params.device_id })).body),
      ],
    },
    '/devices/unmanaged/get': gets(() => ctx.unmanaged.deviceIds[0]),
    '/devices/unmanaged/list': lists(),
    '/devices/unmanaged/update': {
      baseline: async () => ({
        device_id: (await connect('yale', { automatically_manage_new_devices: false })).deviceIds[0],
      }),
      observe: async (_, params) => [
        normalise((await post('/devices/get', { device_id: params.device_id })).body),
        normalise((await post('/devices/unmanaged/get', { device_id: params.device_id })).body),
      ],
    },
    '/locks/get': gets(() => ctx.august.deviceIds[0]),
    '/locks/list': lists(),
    '/thermostats/get': gets(() => ctx.ecobee.deviceIds[0]),
    '/thermostats/list': lists(),
    '/noise_sensors/list': lists(),
    '/events/list': { baseline: async () => ({ since: new Date(0).toISOString() }), instead: { between: 'since' } },
    '/events/get': { baseline: async () => ({ event_type: 'device.added' }) },
    '/webhooks/create': {
      baseline: async () => ({ url: 'http://127.0.0.1:9/hook' }),
      observe: async (a) => normalise(a.body),
    },
    '/webhooks/get': { baseline: async () => ({ webhook_id: ctx.webhookId }) },
    '/webhooks/delete': {
      baseline: async () => ({
        webhook_id: (await post('/webhooks/create', { url: 'http://127.0.0.1:9/hook' })).body.webhook.webhook_id,
      }),
    },
    '/webhooks/list': { baseline: async () => ({}) },
    '/webhooks/update': {
      baseline: async () => ({
        webhook_id: (await post('/webhooks/create', { url: 'http://127.0.0.1:9/hook' })).body.webhook.webhook_id,
      }),
      observe: readBack('/webhooks/get', 'webhook_id'),
    },
  };

  /** Values that make a visible difference where a schema-made one would not (or could not be made). */
  const VALUES: Record<string, (route: string) => unknown> = {
    custom_metadata_has: () => ({ probe: 'nothing-has-this' }),
    custom_metadata: () => ({ probe: 'v' }),
    customer_key: () => 'ck-probe',
    search: () => 'Front',
    limit: () => 1,
    unstable_offset: () => 1,
    page_cursor: () => ctx.cursor,
    created_before: () => '2000-01-01T00:00:00Z',
    // Lock lists (and the unmanaged, all locks here) change when asked for another kind; the others for locks.
    device_type: (route) => (LOCK_LISTS.includes(route) ? 'ecobee_thermostat' : 'august_lock'),
    device_types: (route) => [LOCK_LISTS.includes(route) ? 'ecobee_thermostat' : 'august_lock'],
    manufacturer: (route) => (LOCK_LISTS.includes(route) ? 'ecobee' : 'august'),
    include_if: (route) => [LOCK_LISTS.includes(route) ? 'can_hvac_heat' : 'can_remotely_unlock'],
    exclude_if: (route) => [route === '/thermostats/list' ? 'can_hvac_heat' : 'can_remotely_unlock'],
    between: () => [new Date(0).toISOString(), new Date(1000).toISOString()],
    event_type: () => 'connected_account.created',
    event_types: () => ['connected_account.created'],
    event_id: () => ctx.firstEventId,
    device_id: (route) => (route === '/events/get' ? ctx.august.deviceIds[1] : randomUUID()),
    // Another device's name than the baseline's id.
    name: (route) =>
      ({
        '/devices/get': ctx.august.names[1],
        '/locks/get': ctx.august.names[1],
        '/devices/unmanaged/get': ctx.unmanaged.names[1],
        '/thermostats/get': ctx.ecobee.names[1],
      })[route] ?? 'Probe name',
    email: () => ctx.ecobee.email,
    properties: () => ({ name: 'Probe name' }),
    display_name: () => 'Probe display name',
    accepted_providers: () => ['yale'],
    excluded_providers: () => ['yale'],
    accepted_capabilities: () => ['thermostat'],
    provider_category: () => 'thermostats',
    device_selection_mode: () => 'single',
    custom_redirect_url: () => 'https://example.com/done',
    custom_redirect_failure_url: () => 'https://example.com/failed',
    automatically_manage_new_devices: () => false,
    wait_for_device_creation: () => true,
    is_managed: (route) => route === '/devices/unmanaged/update',
    url: () => 'http://127.0.0.1:9/other',
  };
  /** A value from the parameter's schema, for a parameter the table does not know. */
  const fromSchema = (schema: any): unknown => {
    if (schema.enum) return schema.enum[0];
    if (schema.oneOf) return fromSchema(schema.oneOf[0]);
    switch (schema.type) {
      case 'array':
        return [fromSchema(schema.items ?? {})];
      case 'boolean':
        return !(schema.default ?? false);
      case 'number':
      case 'integer':
        return 1;
      case 'object':
        return {};
      default:
        return schema.format === 'uuid'
          ? randomUUID()
          : schema.format === 'date-time'
            ? new Date().toISOString()
            : 'probe';
    }
  };

  beforeAll(async () => {
    await server.start();
    ctx.august = await connect('august');
    ctx.ecobee = await connect('ecobee');
    await connect('minut');
    await connect('minut');
    ctx.unmanaged = await connect('august', { automatically_manage_new_devices: false });
    await post('/devices/update', { device_id: ctx.august.deviceIds[0], custom_metadata: { tag: 'probe' } });
    ctx.webviewId = (
      await post('/connect_webviews/create', { customer_key: 'ck-1' })
    ).body.connect_webview.connect_webview_id;
    ctx.webhookId = (await post('/webhooks/create', { url: 'http://127.0.0.1:9/hook' })).body.webhook.webhook_id;
    ctx.firstEventId = (await post('/events/list', { since: new Date(0).toISOString() })).body.events[0].event_id;
  });
  afterAll(() => server.stop());

  const routes = Object.keys(ROUTES);

  it('probes every route this service serves that Seam has', () => {
    const seamRoutes = served.filter((path) => seamPaths[path]?.post && !path.includes('/simulate/'));
    expect(seamRoutes.filter((path) => !routes.includes(path))).toEqual([]);
  });

  it.each(routes)('%s: every parameter changes the answer or is refused', async (route) => {
    const schema = seamPaths[route].post.requestBody?.content['application/json'].schema ?? {};
    const properties: Record<string, any> = Object.assign(
      {},
      schema.properties,
      ...(schema.oneOf ?? []).map((option: any) => option.properties),
    );
    const probe = ROUTES[route];
    const observe = probe.observe ?? (async (answer: Answer) => answer);
    const ignored: string[] = [];
    for (const [param, paramSchema] of Object.entries(properties)) {
      const base = await probe.baseline();
      if (param in base) {
        // The route's own id: without it, it is required.
        const without = { ...base };
        delete without[param];
        const answer = await post(route, without);
        if (answer.status !== 400) ignored.push(`${param} (answered ${answer.status} without it)`);
        continue;
      }
      if (route.endsWith('/list') && param === 'page_cursor') {
        const first = await post(route, { ...base, limit: 1 });
        ctx.cursor = first.body.pagination?.next_page_cursor;
      }
      const value = VALUES[param]?.(route) ?? fromSchema(paramSchema);
      const replaced = probe.instead?.[param];
      const withParam = { ...base, [param]: value };
      if (replaced) delete withParam[replaced];
      const answer = await post(route, withParam);
      if (answer.status === 400 && NOT_SUPPORTED.test(answer.body.error?.message ?? '')) continue;
      if (answer.status >= 300) {
        ignored.push(`${param} (answered ${answer.status}: ${answer.body.error?.message})`);
        continue;
      }
      const seen = JSON.stringify(await observe(answer, withParam));
      const again = await probe.baseline();
      const baseline = JSON.stringify(await observe(await post(route, again), again));
      if (seen === baseline && !WITHOUT_VISIBLE_EFFECT[route]?.[param])
        ignored.push(`${param} (accepted, changed nothing)`);
    }
    expect(ignored).toEqual([]);
  });
});
