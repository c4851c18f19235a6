import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SeamHttp } from '@seamapi/http/connect';
import { sandboxClient } from '../support/sandbox.js';
import { lastJsonLine, newDataDir, runCli, ServerProcess } from '../support/server-process.js';

const pause = () => new Promise((resolve) => setTimeout(resolve, 15));

/** A moment strictly between what happened before and what happens after. */
async function moment(): Promise<string> {
  await pause();
  const at = new Date().toISOString();
  await pause();
  return at;
}

describe('audit: custom metadata history, as_of, through the running server', () => {
  const server = new ServerProcess(newDataDir());
  let alice: SeamHttp;
  let bob: SeamHttp;
  let aliceKeyId: string;
  let bobKeyId: string;
  const key = { alice: '', bob: '' };
  const story: Record<string, string> = {};
  let webviewId = '';
  let secondWebviewId = '';
  let accountId = '';
  let deviceId = '';

  const get = async (path: string, params: Record<string, string>) => {
    const response = await fetch(`${server.url}${path}?${new URLSearchParams(params)}`, {
      headers: { authorization: `Bearer ${key.alice}` },
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };

  beforeAll(async () => {
    // One workspace, two API keys: two actors.
    const workspace = lastJsonLine((await runCli(server.dataDir, ['workspace', 'create', '--name', 'Audited'])).stdout);
    const second = lastJsonLine(
      (await runCli(server.dataDir, ['api-key', 'create', '--workspace-id', workspace.workspace_id])).stdout,
    );
    await server.start();
    key.alice = workspace.api_key;
    key.bob = second.api_key;
    aliceKeyId = workspace.api_key_id;
    bobKeyId = second.api_key_id;
    alice = new SeamHttp({ apiKey: key.alice, endpoint: server.url });
    bob = new SeamHttp({ apiKey: key.bob, endpoint: server.url });
    const sandbox = sandboxClient(server, key.alice);

    story.beforeEverything = await moment();
    webviewId = (await alice.connectWebviews.create({ custom_metadata: { id: 'internal_id_1', plan: 'basic' } }))
      .connect_webview_id;
    story.afterCreate = await moment();
    accountId = (await sandbox.completeWebview(webviewId, 'audit@example.com')).body.connect_webview
      .connected_account_id;
    story.afterCompletion = await moment();
    await alice.connectedAccounts.update({
      connected_account_id: accountId,
      custom_metadata: { id: 'internal_id_1', plan: 'pro' },
    });
    story.afterAliceUpdate = await moment();
    await bob.connectedAccounts.update({
      connected_account_id: accountId,
      custom_metadata: { id: 'internal_id_1', plan: 'pro', vip: true },
    });
    story.afterBobUpdate = await moment();
    [{ device_id: deviceId }] = await alice.devices.list({ connected_account_id: accountId });
    await alice.devices.update({ device_id: deviceId, custom_metadata: { floor: '1' } });
    await bob.devices.update({ device_id: deviceId, custom_metadata: { floor: '2', room: 'lobby' } });
    story.afterDeviceUpdates = await moment();
    await sandbox.disconnectAccount(accountId);
    story.afterDisconnect = await moment();
    secondWebviewId = (await alice.connectWebviews.create({ custom_metadata: { id: 'internal_id_2' } }))
      .connect_webview_id;
    await sandbox.completeWebview(secondWebviewId, 'audit@example.com');
    story.afterReconnection = await moment();
  });
  afterAll(() => server.stop());

  it("lists every change of a connected account's metadata in order, with cause, actor, previous and resulting metadata", async () => {
    const response = await fetch(`${server.url}/connected_accounts/custom_metadata_history`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.alice}`, 'content-type': 'application/json' },
      body: JSON.stringify({ connected_account_id: accountId }),
    });
    expect(response.status).toBe(200);
    const entries = ((await response.json()) as { custom_metadata_history: any[] }).custom_metadata_history;
    expect(entries.map((e: any) => [e.cause, e.actor, e.previous_custom_metadata, e.custom_metadata])).toEqual([
      [
        { type: 'webview_inherited', connect_webview_id: webviewId },
        { type: 'completion_saga', connect_webview_id: webviewId },
        {},
        { id: 'internal_id_1', plan: 'basic' },
      ],
      [
        { type: 'api_update' },
        { type: 'api_key', api_key_id: aliceKeyId },
        { id: 'internal_id_1', plan: 'basic' },
        { id: 'internal_id_1', plan: 'pro' },
      ],
      [
        { type: 'api_update' },
        { type: 'api_key', api_key_id: bobKeyId },
        { id: 'internal_id_1', plan: 'pro' },
        { id: 'internal_id_1', plan: 'pro', vip: true },
      ],
      [
        { type: 'webview_replaced', connect_webview_id: secondWebviewId },
        { type: 'completion_saga', connect_webview_id: secondWebviewId },
        { id: 'internal_id_1', plan: 'pro', vip: true },
        { id: 'internal_id_2' },
      ],
    ]);
    expect(entries[1].changes).toEqual({ added: {}, removed: {}, changed: { plan: { from: 'basic', to: 'pro' } } });
    expect(entries[3].changes).toEqual({
      added: {},
      removed: { plan: 'pro', vip: true },
      changed: { id: { from: 'internal_id_1', to: 'internal_id_2' } },
    });
    const revisions = entries.map((e: any) => e.revision);
    expect([...revisions].sort((a, b) => a - b)).toEqual(revisions);
    expect(JSON.stringify(entries)).not.toContain(key.alice);
    expect(JSON.stringify(entries)).not.toContain(key.bob);
  });

  it('lists the history of a device and of a webview on GET, and pages through it oldest first', async () => {
    const device = await get('/devices/custom_metadata_history', { device_id: deviceId });
    expect(device.status).toBe(200);
    expect(
      device.body.custom_metadata_history.map((e: any) => [
        e.cause.type,
        e.actor.api_key_id ?? null,
        e.custom_metadata,
      ]),
    ).toEqual([
      ['created', null, {}],
      ['api_update', aliceKeyId, { floor: '1' }],
      ['api_update', bobKeyId, { floor: '2', room: 'lobby' }],
    ]);
    const webview = await get('/connect_webviews/custom_metadata_history', { connect_webview_id: webviewId });
    expect(webview.body.custom_metadata_history).toEqual([
      expect.objectContaining({
        cause: { type: 'created' },
        actor: { type: 'api_key', api_key_id: aliceKeyId },
        custom_metadata: { id: 'internal_id_1', plan: 'basic' },
      }),
    ]);

    const first = await get('/connected_accounts/custom_metadata_history', {
      connected_account_id: accountId,
      limit: '3',
    });
    expect(first.body.custom_metadata_history).toHaveLength(3);
    expect(first.body.pagination.has_next_page).toBe(true);
    const next = await get('/connected_accounts/custom_metadata_history', {
      connected_account_id: accountId,
      page_cursor: first.body.pagination.next_page_cursor,
    });
    expect(next.body.custom_metadata_history.map((e: any) => e.cause.type)).toEqual(['webview_replaced']);
    expect(next.body.pagination.has_next_page).toBe(false);
  });

  it('returns each intermediate state with as_of', async () => {
    const accountAt = async (as_of: string) => {
      const response = await get('/connected_accounts/get', { connected_account_id: accountId, as_of });
      return response.status === 200 ? response.body.connected_account : response.status;
    };
    expect(await accountAt(story.afterCreate)).toBe(404);
    expect((await accountAt(story.afterCompletion)).custom_metadata).toEqual({ id: 'internal_id_1', plan: 'basic' });
    expect((await accountAt(story.afterAliceUpdate)).custom_metadata).toEqual({ id: 'internal_id_1', plan: 'pro' });
    expect((await accountAt(story.afterBobUpdate)).custom_metadata).toEqual({
      id: 'internal_id_1',
      plan: 'pro',
      vip: true,
    });
    const disconnected = await accountAt(story.afterDisconnect);
    expect(disconnected.errors.map((e: any) => e.error_code)).toEqual(['account_disconnected']);
    const now = await accountAt(story.afterReconnection);
    expect(now).toEqual(
      (await get('/connected_accounts/get', { connected_account_id: accountId })).body.connected_account,
    );

    const deviceAt = async (as_of: string) => (await get('/devices/get', { device_id: deviceId, as_of })).body.device;
    expect((await deviceAt(story.afterBobUpdate)).custom_metadata).toEqual({});
    expect((await deviceAt(story.afterDeviceUpdates)).custom_metadata).toEqual({ floor: '2', room: 'lobby' });
    expect((await deviceAt(story.afterDisconnect)).errors.map((e: any) => e.error_code)).toEqual([
      'account_disconnected',
    ]);
    expect((await deviceAt(story.afterReconnection)).errors).toEqual([]);

    const webviewAt = async (as_of: string) =>
      (await get('/connect_webviews/get', { connect_webview_id: webviewId, as_of })).body;
    expect((await webviewAt(story.beforeEverything)).error.type).toBe('connect_webview_not_found');
    expect((await webviewAt(story.afterCreate)).connect_webview.status).toBe('pending');
    expect((await webviewAt(story.afterCompletion)).connect_webview.status).toBe('authorized');
  });

  it("answers 404 for another workspace's resource history and refuses a malformed as_of", async () => {
    const other = lastJsonLine((await runCli(server.dataDir, ['workspace', 'create', '--name', 'Stranger'])).stdout);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const response = await fetch(`${server.url}/devices/custom_metadata_history?device_id=${deviceId}`, {
      headers: { authorization: `Bearer ${other.api_key}` },
    });
    expect(response.status).toBe(404);
    expect(((await response.json()) as any).error.type).toBe('device_not_found');
    const malformed = await get('/devices/get', { device_id: deviceId, as_of: 'yesterday' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.type).toBe('invalid_input');
  });
});
