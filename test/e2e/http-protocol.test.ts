import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ServerProcess } from '../support/server-process.js';

// The wire details an app (or curl) meets without the SDK.
describe('HTTP protocol', () => {
  const server = new ServerProcess();
  let auth: Record<string, string>;

  beforeAll(async () => {
    await server.start();
    auth = { authorization: `Bearer ${server.sandboxApiKey}` };
  });
  afterAll(() => server.stop());

  const call = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(`${server.url}${path}`, init);
    return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, any> };
  };
  const post = (path: string, body: unknown, headers: Record<string, string> = auth) =>
    call(path, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('answers /health with 200 {"ok": true} and no key', async () => {
    expect(await call('/health')).toMatchObject({ status: 200, body: { ok: true } });
  });

  it('puts seam-request-id on every response, errors included', async () => {
    const ok = await call('/health');
    const refused = await call('/connect_webviews/list', { method: 'POST' });
    for (const response of [ok, refused]) expect(response.headers.get('seam-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(ok.headers.get('seam-request-id')).not.toBe(refused.headers.get('seam-request-id'));
  });

  it('answers each write with the log position its answer reflects (seam-log-position), and a read without one', async () => {
    const positions: number[] = [];
    const write = async (path: string, body: unknown) => {
      const response = await post(path, body);
      expect(response.status).toBe(200);
      positions.push(Number(response.headers.get('seam-log-position')));
      return response.body;
    };
    const { connect_webview } = await write('/connect_webviews/create', { custom_metadata: { k: 'v' } });
    await write('/connect_webviews/simulate/complete', {
      connect_webview_id: connect_webview.connect_webview_id,
      email: 'positions@example.com',
    });
    const [account] = (await post('/connected_accounts/list', {})).body.connected_accounts;
    await write('/connected_accounts/update', {
      connected_account_id: account.connected_account_id,
      custom_metadata: { k: 'w' },
    });
    const [device] = (await post('/devices/list', { connected_account_id: account.connected_account_id })).body.devices;
    await write('/devices/update', { device_id: device.device_id, custom_metadata: { k: 'x' } });
    await write('/connect_webviews/delete', { connect_webview_id: connect_webview.connect_webview_id });
    // Each later than the one before: the completion's answer is at the saga's last step, past the complete.
    expect(positions.every((position, i) => position > (positions[i - 1] ?? 0))).toBe(true);
    expect((await post('/connect_webviews/list', {})).headers.get('seam-log-position')).toBeNull();
  });

  it('answers 401 without a key or with an unknown one', async () => {
    expect(await call('/connect_webviews/list', { method: 'POST' })).toMatchObject({
      status: 401,
      body: { ok: false, error: { type: 'unauthorized' } },
    });
    const wrong = await post('/connect_webviews/list', {}, { authorization: 'Bearer seam_00000000_unknown' });
    expect(wrong).toMatchObject({ status: 401, body: { error: { type: 'unauthorized' } } });
  });

  it('answers 405 for a method the route does not take', async () => {
    const response = await call('/connect_webviews/create', { method: 'GET', headers: auth });
    expect(response).toMatchObject({ status: 405, body: { ok: false, error: { type: 'method_not_allowed' } } });
    expect((await call('/connect_webviews/get', { method: 'DELETE', headers: auth })).status).toBe(405);
  });

  it('answers 400 invalid_content_type for a body that is not JSON, and invalid_input for broken JSON', async () => {
    const form = await call('/connect_webviews/create', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'custom_metadata=1',
    });
    expect(form).toMatchObject({ status: 400, body: { error: { type: 'invalid_content_type' } } });
    const broken = await call('/connect_webviews/create', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{"custom_metadata": ',
    });
    expect(broken).toMatchObject({ status: 400, body: { error: { type: 'invalid_input' } } });
    expect((await post('/connect_webviews/create', [1, 2])).body.error.type).toBe('invalid_input');
  });

  it('refuses other parameters with invalid_input naming them', async () => {
    const response = await post('/connect_webviews/create', {
      accepted_providers: ['nest'],
      custom_redirect_url: 'not a url',
    });
    expect(response.status).toBe(400);
    expect(Object.keys(response.body.error.validation_errors)).toEqual([
      '_errors',
      'accepted_providers',
      'custom_redirect_url',
    ]);
    expect((await post('/connect_webviews/get', { connect_webview_id: 'not-a-uuid' })).body.error.type).toBe(
      'invalid_input',
    );
    expect((await post('/connect_webviews/list', { limit: 0 })).body.error.type).toBe('invalid_input');
  });

  it('stores and returns keys such as __proto__ and constructor intact', async () => {
    const metadata = JSON.parse('{"__proto__": "p", "constructor": true, "hasOwnProperty": "h"}');
    const created = await post('/connect_webviews/create', { custom_metadata: metadata });
    expect(created.status).toBe(200);
    expect(Object.entries(created.body.connect_webview.custom_metadata)).toEqual(Object.entries(metadata));
    const found = await post('/connect_webviews/list', { custom_metadata_has: JSON.parse('{"__proto__": "p"}') });
    expect(found.body.connect_webviews.map((w: any) => w.connect_webview_id)).toEqual([
      created.body.connect_webview.connect_webview_id,
    ]);
  });

  it("reads GET parameters in the SDK's query format: dot notation, booleans as strings", async () => {
    const tag = `get-${Date.now()}`;
    const yes = await post('/connect_webviews/create', { custom_metadata: { tag, vip: true, 'dotted.key': 'x' } });
    await post('/connect_webviews/create', { custom_metadata: { tag, vip: 'false' } });
    const query = `custom_metadata_has.tag=${tag}&custom_metadata_has.vip=true&custom_metadata_has.dotted.key=x`;
    const listed = await call(`/connect_webviews/list?${query}`, { headers: auth });
    expect(listed.status).toBe(200);
    expect(listed.body.connect_webviews.map((w: any) => w.connect_webview_id)).toEqual([
      yes.body.connect_webview.connect_webview_id,
    ]);
    const id = yes.body.connect_webview.connect_webview_id;
    expect(
      (await call(`/connect_webviews/get?connect_webview_id=${id}`, { headers: auth })).body.connect_webview
        .custom_metadata,
    ).toEqual({
      tag,
      vip: true,
      'dotted.key': 'x',
    });
  });

  it('hands out a next_page_url that fetches the next page as a GET', async () => {
    const tag = `url-${Date.now()}`;
    for (let i = 0; i < 3; i++) await post('/connect_webviews/create', { custom_metadata: { tag } });
    const first = await post('/connect_webviews/list', { custom_metadata_has: { tag }, limit: 2 });
    expect(first.body.pagination.has_next_page).toBe(true);
    const next = await call(first.body.pagination.next_page_url.replace(server.url, ''), { headers: auth });
    expect(next.status).toBe(200);
    expect(next.body.connect_webviews).toHaveLength(1);
    expect(next.body.pagination).toEqual({ next_page_cursor: null, has_next_page: false, next_page_url: null });
    expect((await post('/connect_webviews/list', { page_cursor: 'garbage' })).body.error.type).toBe('invalid_input');
  });

  it('refuses webhook targets that are not http(s) or that resolve to loopback or private addresses', async () => {
    for (const url of [
      'http://127.0.0.1:9/hook',
      'http://localhost/hook',
      'http://10.1.2.3/hook',
      'http://[::1]/hook',
      'ftp://example.com/hook',
      // IPv6 forms that carry an IPv4 address, and other special-purpose ranges
      'http://[64:ff9b::a00:1]/hook', // NAT64 of 10.0.0.1
      'http://[::127.0.0.1]/hook', // IPv4-compatible
      'http://[2002:7f00:1::]/hook', // 6to4 of 127.0.0.1
      'http://[::ffff:127.0.0.1]/hook', // IPv4-mapped
      'http://[::ffff:0:7f00:1]/hook', // IPv4-translated
      'http://[fec0::1]/hook', // site-local
      'http://[100::1]/hook', // discard-only
    ]) {
      const refused = await post('/webhooks/create', { url });
      expect(refused.status).toBe(400);
      expect(refused.body.error.type).toBe('invalid_input');
      expect(Object.keys(refused.body.error.validation_errors)).toContain('url');
    }
  });

  it('accepts a webhook to a public IPv4 or IPv6 address', async () => {
    for (const url of ['http://8.8.8.8/hook', 'https://1.1.1.1/hook', 'http://[2606:4700:4700::1111]/hook']) {
      const created = await post('/webhooks/create', { url });
      expect(created).toMatchObject({ status: 200, body: { webhook: { url } } });
      await post('/webhooks/delete', { webhook_id: created.body.webhook.webhook_id });
    }
  });

  it('keeps every data file readable by its owner only', async () => {
    const files = readdirSync(server.dataDir).filter((name) => statSync(join(server.dataDir, name)).isFile());
    expect(files).toEqual(expect.arrayContaining(['events.db', 'events.db-wal']));
    for (const name of files) expect([name, statSync(join(server.dataDir, name)).mode & 0o777]).toEqual([name, 0o600]);
  });

  it('answers 404 in the envelope for an unknown route', async () => {
    expect(await post('/devices/frobnicate', {})).toMatchObject({
      status: 404,
      body: { ok: false, error: { type: 'endpoint_not_found' } },
    });
  });
});
