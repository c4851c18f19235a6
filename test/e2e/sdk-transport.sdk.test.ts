import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SeamHttp, SeamHttpApiError } from '@seamapi/http/connect';
import { sandboxClient } from '../support/sandbox.js';
import { ServerProcess } from '../support/server-process.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

/**
 * What SDK 2.x puts on the wire (GET and DELETE with query strings, PATCH and PUT with bodies), recorded
 * from the SDK's own HTTP client, and what SDK 1.x sent (POST and DELETE with bodies), both accepted.
 */
describe('the official SDK 2.x on the wire', () => {
  const server = new ServerProcess(undefined, { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' });
  const receiver = new WebhookReceiver();
  let seam: SeamHttp;
  const sent: { method: string; url: string; body: unknown }[] = [];
  const lastRequest = () => sent[sent.length - 1];

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${server.sandboxApiKey}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };

  beforeAll(async () => {
    await Promise.all([server.start(), receiver.start()]);
    seam = new SeamHttp({ apiKey: server.sandboxApiKey!, endpoint: server.url });
    seam.client.interceptors.request.use((config) => {
      const url = seam.client.getUri(config);
      sent.push({ method: String(config.method).toUpperCase(), url, body: config.data });
      return config;
    });
  });
  afterAll(async () => {
    await Promise.all([server.stop(), receiver.stop()]);
  });

  it('deletes a webview with DELETE and the id in the query string', async () => {
    const webview = await seam.connectWebviews.create({ custom_metadata: { doomed: true } });
    await seam.connectWebviews.delete({ connect_webview_id: webview.connect_webview_id });
    expect(lastRequest().method).toBe('DELETE');
    expect(new URL(lastRequest().url).searchParams.get('connect_webview_id')).toBe(webview.connect_webview_id);
    expect(lastRequest().body).toBeUndefined();
    const gone = await seam.connectWebviews
      .get({ connect_webview_id: webview.connect_webview_id })
      .catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(SeamHttpApiError);
    expect((gone as SeamHttpApiError).code).toBe('connect_webview_not_found');
  });

  it('creates, updates with PUT, and deletes with DELETE and a query string, a webhook', async () => {
    const webhook = await seam.webhooks.create({ url: receiver.url, event_types: ['device.added'] });
    await seam.webhooks.update({ webhook_id: webhook.webhook_id, event_types: ['device.disconnected'] });
    expect(lastRequest().method).toBe('PUT');
    expect((await seam.webhooks.get({ webhook_id: webhook.webhook_id })).event_types).toEqual(['device.disconnected']);
    await seam.webhooks.delete({ webhook_id: webhook.webhook_id });
    expect(lastRequest().method).toBe('DELETE');
    expect(new URL(lastRequest().url).searchParams.get('webhook_id')).toBe(webhook.webhook_id);
    expect((await seam.webhooks.list()).map((w) => w.webhook_id)).not.toContain(webhook.webhook_id);
  });

  it('lists with custom_metadata_has through GET, in the query serialisation of objects, booleans and dates', async () => {
    const tag = `get-${Date.now()}`;
    const vip = await seam.connectWebviews.create({ custom_metadata: { tag, vip: true } });
    await seam.connectWebviews.create({ custom_metadata: { tag, vip: false } });
    const listed = await seam.connectWebviews.list({ custom_metadata_has: { tag, vip: true } });
    expect(listed.map((w) => w.connect_webview_id)).toEqual([vip.connect_webview_id]);
    const query = new URL(lastRequest().url).searchParams;
    expect(lastRequest().method).toBe('GET');
    expect(query.get('custom_metadata_has.tag')).toBe(tag);
    expect(query.get('custom_metadata_has.vip')).toBe('true');

    const sandbox = sandboxClient(server);
    const done = await sandbox.completeWebview(vip.connect_webview_id, `${tag}@example.com`);
    const accountId = done.body.connect_webview.connected_account_id as string;
    const createdBefore = new Date(Date.now() + 60_000);
    const devices = await seam.devices.list({ connected_account_id: accountId, created_before: createdBefore });
    expect(devices.length).toBeGreaterThan(0);
    expect(new URL(lastRequest().url).searchParams.get('created_before')).toBe(createdBefore.toISOString());
    expect(await seam.devices.list({ connected_account_id: accountId, created_before: new Date(0) })).toEqual([]);
    // An empty array is sent as `device_ids=`: no device asked for, none listed.
    expect(await seam.devices.list({ connected_account_id: accountId, device_ids: [] })).toEqual([]);
    expect(lastRequest().url).toContain('device_ids=&');
  });

  it('updates with PATCH and a body', async () => {
    const webview = await seam.connectWebviews.create({});
    const done = await sandboxClient(server).completeWebview(
      webview.connect_webview_id,
      `patch-${Date.now()}@example.com`,
    );
    const accountId = done.body.connect_webview.connected_account_id as string;
    await seam.connectedAccounts.update({ connected_account_id: accountId, custom_metadata: { plan: 'pro' } });
    expect(lastRequest().method).toBe('PATCH');
    expect((await seam.connectedAccounts.get({ connected_account_id: accountId })).custom_metadata).toEqual({
      plan: 'pro',
    });
  });

  it('still takes what SDK 1.x sent: POST bodies for gets and lists, DELETE with a JSON body', async () => {
    const created = await call('POST', '/connect_webviews/create', { custom_metadata: { sdk: 'v1' } });
    const id = created.body.connect_webview.connect_webview_id as string;
    expect(
      (await call('POST', '/connect_webviews/get', { connect_webview_id: id })).body.connect_webview.custom_metadata,
    ).toEqual({ sdk: 'v1' });
    expect(
      (await call('POST', '/connect_webviews/list', { custom_metadata_has: { sdk: 'v1' } })).body.connect_webviews,
    ).toHaveLength(1);
    expect(await call('DELETE', '/connect_webviews/delete', { connect_webview_id: id })).toMatchObject({
      status: 200,
      body: { ok: true },
    });
    expect((await call('POST', '/connect_webviews/get', { connect_webview_id: id })).status).toBe(404);
  });
});
