import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SeamHttp, SeamHttpApiError, SeamHttpInvalidInputError } from '@seamapi/http/connect';
import { sandboxClient } from '../support/sandbox.js';
import { lastJsonLine, runCli, ServerProcess } from '../support/server-process.js';
import { openServerLog } from '../support/server-log.js';

// The seed pages' story, through the official SDK against the running server.
describe('completion: connected accounts and devices with inherited or replacing metadata', () => {
  const server = new ServerProcess();
  let seam: SeamHttp;
  let sandbox: ReturnType<typeof sandboxClient>;

  beforeAll(async () => {
    await server.start();
    seam = new SeamHttp({ apiKey: server.sandboxApiKey!, endpoint: server.url });
    sandbox = sandboxClient(server);
  });
  afterAll(() => server.stop());

  it('follows the seed story from webview to reconnection', async () => {
    // A webview created with metadata, completed: the new account inherits a copy.
    const webview = await seam.connectWebviews.create({ custom_metadata: { id: 'internal_id_1' } });
    const completion = await sandbox.completeWebview(webview.connect_webview_id, 'jane@example.com');
    expect(completion.status).toBe(200);
    const completed = await seam.connectWebviews.get({ connect_webview_id: webview.connect_webview_id });
    expect(completed.status).toBe('authorized');
    expect(completed.login_successful).toBe(true);
    expect(completed.selected_provider).toBe('august');
    expect(completed.authorized_at).not.toBeNull();
    expect(completion.body.connect_webview).toEqual(completed);
    const accountId = completed.connected_account_id!;
    expect(accountId).toEqual(expect.any(String));
    const account = await seam.connectedAccounts.get({ connected_account_id: accountId });
    expect(account.custom_metadata).toEqual({ id: 'internal_id_1' });
    expect(account.user_identifier).toEqual({ email: 'jane@example.com' });
    expect((await seam.connectedAccounts.get({ email: 'jane@example.com' })).connected_account_id).toBe(accountId);

    // Its devices: added with {}; devices.update adds, changes and (with null) removes keys.
    const devices = await seam.devices.list({ connected_account_id: accountId });
    expect(devices.map((d) => d.display_name).sort()).toEqual(['Back Door', 'Front Door']);
    expect(devices.every((d) => Object.keys(d.custom_metadata).length === 0)).toBe(true);
    const [front, back] = devices.sort((a, b) => a.display_name.localeCompare(b.display_name)).reverse();
    await seam.devices.update({
      device_id: front.device_id,
      custom_metadata: { internal_account_id: 'user-1', floor: '1' },
    });
    await seam.devices.update({ device_id: front.device_id, custom_metadata: { floor: '2', vip: true } });
    // null removes a key (Seam's route types allow it; SDK 2.x's parameter type leaves null out).
    const removeKey = { internal_account_id: null } as unknown as Record<string, string>;
    await seam.devices.update({ device_id: front.device_id, custom_metadata: removeKey });
    expect((await seam.devices.get({ device_id: front.device_id })).custom_metadata).toEqual({ floor: '2', vip: true });
    await seam.devices.update({ device_id: back.device_id, custom_metadata: { floor: '2' } });

    // devices.list with custom_metadata_has: exactly the matching devices.
    const ids = async (custom_metadata_has: Record<string, string | boolean>) =>
      (await seam.devices.list({ custom_metadata_has })).map((d) => d.device_id).sort();
    expect(await ids({ floor: '2' })).toEqual([front.device_id, back.device_id].sort());
    expect(await ids({ floor: '2', vip: true })).toEqual([front.device_id]);
    const { data } = await seam.client.post<{ devices: unknown[] }>('/devices/list', {
      custom_metadata_has: { vip: 'true' },
    });
    expect(data.devices).toEqual([]); // a JSON body keeps the string "true" apart from the boolean

    // connectedAccounts.update replaces entirely.
    await seam.connectedAccounts.update({ connected_account_id: accountId, custom_metadata: { tenant: 't1' } });
    expect((await seam.connectedAccounts.get({ connected_account_id: accountId })).custom_metadata).toEqual({
      tenant: 't1',
    });

    // Disconnected: the account and its devices carry account_disconnected.
    expect((await sandbox.disconnectAccount(accountId)).status).toBe(200);
    const disconnected = await seam.connectedAccounts.get({ connected_account_id: accountId });
    expect(disconnected.errors.map((e) => e.error_code)).toEqual(['account_disconnected']);
    const offline = await seam.devices.get({ device_id: front.device_id });
    expect(offline.errors.map((e) => e.error_code)).toEqual(['account_disconnected']);
    expect(offline.properties.online).toBe(false);

    // A new webview with other metadata, completed for the same email: same account, exactly the new metadata.
    const reconnect = await seam.connectWebviews.create({ custom_metadata: { id: 'internal_id_2', plan: 'pro' } });
    await sandbox.completeWebview(reconnect.connect_webview_id, 'Jane@Example.com');
    expect(
      (await seam.connectWebviews.get({ connect_webview_id: reconnect.connect_webview_id })).connected_account_id,
    ).toBe(accountId);
    const reconnected = await seam.connectedAccounts.get({ connected_account_id: accountId });
    expect(reconnected.custom_metadata).toEqual({ id: 'internal_id_2', plan: 'pro' });
    expect(reconnected.errors).toEqual([]);
    expect((await seam.devices.get({ device_id: front.device_id })).errors).toEqual([]);
    // The reconnection brought the account's new device; existing devices kept their metadata.
    const after = await seam.devices.list({ connected_account_id: accountId });
    expect(after.map((d) => d.display_name).sort()).toEqual(['Back Door', 'Front Door', 'Garage']);
    expect((await seam.devices.get({ device_id: front.device_id })).custom_metadata).toEqual({ floor: '2', vip: true });
    expect(
      (await seam.devices.list({ connect_webview_id: reconnect.connect_webview_id })).map((d) => d.display_name),
    ).toEqual(['Garage']);

    // One without metadata leaves the account's as it is.
    const plain = await seam.connectWebviews.create({});
    await sandbox.completeWebview(plain.connect_webview_id, 'jane@example.com');
    expect((await seam.connectedAccounts.get({ connected_account_id: accountId })).custom_metadata).toEqual({
      id: 'internal_id_2',
      plan: 'pro',
    });
    expect((await seam.connectedAccounts.list()).map((a) => a.connected_account_id)).toEqual([accountId]);
  });

  it('records on every MetadataSet the resource, result, previous value, change, cause and actor', async () => {
    const webview = await seam.connectWebviews.create({ custom_metadata: { id: 'audit' } });
    const { body } = await sandbox.completeWebview(webview.connect_webview_id, 'audit@example.com', {
      provider: 'yale',
    });
    const accountId = body.connect_webview.connected_account_id as string;
    await seam.connectedAccounts.update({
      connected_account_id: accountId,
      custom_metadata: { id: 'audit', tier: 'gold' },
    });

    const store = openServerLog(server.dataDir);
    const metadataSets = (await store.readStream(`connected_account-${accountId}`)).filter(
      (e) => e.type === 'MetadataSet',
    );
    await store.close();
    const apiKeyId = (metadataSets[1].data as { actor: { api_key_id: string } }).actor.api_key_id;
    expect(apiKeyId).toEqual(expect.any(String));
    expect(metadataSets.map((e) => e.data)).toEqual([
      {
        resource_type: 'connected_account',
        resource_id: accountId,
        workspace_id: webview.workspace_id,
        custom_metadata: { id: 'audit' },
        previous_custom_metadata: {},
        changes: { added: { id: 'audit' }, removed: {}, changed: {} },
        cause: { type: 'webview_inherited', connect_webview_id: webview.connect_webview_id },
        actor: { type: 'completion_saga', connect_webview_id: webview.connect_webview_id },
        occurred_at: expect.any(String),
      },
      {
        resource_type: 'connected_account',
        resource_id: accountId,
        workspace_id: webview.workspace_id,
        custom_metadata: { id: 'audit', tier: 'gold' },
        previous_custom_metadata: { id: 'audit' },
        changes: { added: { tier: 'gold' }, removed: {}, changed: {} },
        cause: { type: 'api_update' },
        actor: { type: 'api_key', api_key_id: apiKeyId },
        occurred_at: expect.any(String),
      },
    ]);
    expect(JSON.stringify(metadataSets)).not.toContain(server.sandboxApiKey!);
  });

  it('gives a new account {} when its webview had no metadata', async () => {
    const webview = await seam.connectWebviews.create({ accepted_providers: ['yale'] });
    await sandbox.completeWebview(webview.connect_webview_id, 'plain@example.com');
    const { connected_account_id } = await seam.connectWebviews.get({ connect_webview_id: webview.connect_webview_id });
    const account = await seam.connectedAccounts.get({ connected_account_id: connected_account_id! });
    expect(account.custom_metadata).toEqual({});
    expect(account.account_type).toBe('yale');
  });

  it('refuses a second completion, a wrong password and a provider the webview does not accept, changing nothing', async () => {
    const webview = await seam.connectWebviews.create({ accepted_providers: ['schlage'], custom_metadata: { k: 'v' } });
    const wrongProvider = await sandbox.completeWebview(webview.connect_webview_id, 'x@example.com', {
      provider: 'august',
    });
    expect(wrongProvider).toMatchObject({ status: 400, body: { error: { type: 'invalid_input' } } });
    const wrongPassword = await sandbox.completeWebview(webview.connect_webview_id, 'x@example.com', {
      password: '9999',
    });
    expect(wrongPassword).toMatchObject({ status: 400, body: { error: { type: 'login_failed' } } });
    expect((await seam.connectWebviews.get({ connect_webview_id: webview.connect_webview_id })).status).toBe('pending');
    expect((await sandbox.completeWebview(webview.connect_webview_id, 'x@example.com')).status).toBe(200);
    const before = await seam.connectWebviews.get({ connect_webview_id: webview.connect_webview_id });
    const again = await sandbox.completeWebview(webview.connect_webview_id, 'someone-else@example.com');
    expect(again).toMatchObject({ status: 400, body: { error: { type: 'connect_webview_already_completed' } } });
    expect(await seam.connectWebviews.get({ connect_webview_id: webview.connect_webview_id })).toEqual(before);
    await expect(seam.connectedAccounts.get({ email: 'someone-else@example.com' })).rejects.toMatchObject({
      statusCode: 404,
    });
  });

  it('answers a completion retried while the first is under way, or after, like the first, with one account', async () => {
    const webview = await seam.connectWebviews.create({ custom_metadata: { retried: true } });
    const answers = await Promise.all(
      Array.from({ length: 3 }, () => sandbox.completeWebview(webview.connect_webview_id, 'retry@example.com')),
    );
    for (const answer of answers) expect(answer.status).toBe(200);
    const accounts = answers.map((a) => a.body.connect_webview.connected_account_id as string);
    expect(new Set(accounts).size).toBe(1);
    const account = await seam.connectedAccounts.get({ connected_account_id: accounts[0] });
    expect(account.custom_metadata).toEqual({ retried: true });
    // Retried once more after it finished (the client never saw an answer): the same answer again.
    const late = await sandbox.completeWebview(webview.connect_webview_id, 'retry@example.com');
    expect(late).toMatchObject({ status: 200, body: { connect_webview: { connected_account_id: accounts[0] } } });
  });

  it('keeps all 50 keys when 50 concurrent updates each set a different key on one device', async () => {
    const webview = await seam.connectWebviews.create({});
    await sandbox.completeWebview(webview.connect_webview_id, 'concurrent@example.com', { provider: 'schlage' });
    const [device] = await seam.devices.list({ connect_webview_id: webview.connect_webview_id });
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        seam.devices.update({ device_id: device.device_id, custom_metadata: { [`key_${i}`]: `value_${i}` } }),
      ),
    );
    const { custom_metadata } = await seam.devices.get({ device_id: device.device_id });
    expect(Object.keys(custom_metadata)).toHaveLength(50);
    expect(custom_metadata.key_49).toBe('value_49');
    // The limit holds on the merged result.
    const error = await seam.devices
      .update({ device_id: device.device_id, custom_metadata: { one_too_many: 'x' } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SeamHttpInvalidInputError);
    expect((error as Error).message).toContain('Custom metadata is limited to a maximum of 50 keys');
  });

  it('renames a device and validates update input', async () => {
    const webview = await seam.connectWebviews.create({});
    await sandbox.completeWebview(webview.connect_webview_id, 'rename@example.com', { provider: 'yale' });
    const [device] = await seam.devices.list({ connect_webview_id: webview.connect_webview_id });
    await seam.devices.update({ device_id: device.device_id, name: 'Renamed' });
    expect((await seam.devices.get({ device_id: device.device_id })).display_name).toBe('Renamed');
    await expect(
      seam.devices.update({ device_id: device.device_id, custom_metadata: { n: 1 } as never }),
    ).rejects.toBeInstanceOf(SeamHttpInvalidInputError);
    const missing = await seam.devices
      .get({ device_id: '00000000-0000-4000-8000-000000000000' })
      .catch((e: unknown) => e);
    expect((missing as SeamHttpApiError).code).toBe('device_not_found');
  });

  it('pages through devices and filters by type, ids and creation time', async () => {
    const webview = await seam.connectWebviews.create({});
    await sandbox.completeWebview(webview.connect_webview_id, 'multi@example.com', { provider: 'yale' });
    const mine = await seam.devices.list({ connect_webview_id: webview.connect_webview_id });
    expect(mine).toHaveLength(3);
    const walked = await seam
      .createPaginator(seam.devices.list({ connect_webview_id: webview.connect_webview_id, limit: 2 }))
      .flattenToArray();
    expect(walked.map((d) => d.device_id).sort()).toEqual(mine.map((d) => d.device_id).sort());
    expect(await seam.devices.list({ device_ids: [mine[0].device_id, mine[1].device_id] })).toHaveLength(2);
    expect((await seam.devices.list({ device_type: 'yale_lock' })).length).toBeGreaterThanOrEqual(3);
    expect(
      await seam.devices.list({
        connect_webview_id: webview.connect_webview_id,
        created_before: new Date('2000-01-01T00:00:00.000Z'),
      }),
    ).toEqual([]);
  });

  it("keeps other workspaces' accounts and devices out of reach", async () => {
    const webview = await seam.connectWebviews.create({});
    const done = await sandbox.completeWebview(webview.connect_webview_id, 'private@example.com');
    const accountId = done.body.connect_webview.connected_account_id;
    const { seam: other, apiKey } = await createOtherWorkspace(server);
    await expect(other.connectedAccounts.get({ connected_account_id: accountId })).rejects.toMatchObject({
      statusCode: 404,
    });
    await expect(
      other.connectedAccounts.update({ connected_account_id: accountId, custom_metadata: {} }),
    ).rejects.toMatchObject({
      statusCode: 404,
    });
    expect(await other.devices.list({ connected_account_id: accountId })).toEqual([]);
    expect(await other.connectedAccounts.list()).toEqual([]);
    const otherSandbox = sandboxClient(server, apiKey);
    expect((await otherSandbox.completeWebview(webview.connect_webview_id, 'thief@example.com')).status).toBe(404);
  });
});

/** A second workspace made by the CLI; its key reaches the running server within a second. */
async function createOtherWorkspace(server: ServerProcess): Promise<{ seam: SeamHttp; apiKey: string }> {
  const created = lastJsonLine((await runCli(server.dataDir, ['workspace', 'create', '--name', 'Other'])).stdout);
  const seam = new SeamHttp({ apiKey: created.api_key, endpoint: server.url });
  for (let i = 0; i < 40; i++) {
    if (
      await seam.connectWebviews.list().then(
        () => true,
        () => false,
      )
    )
      break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { seam, apiKey: created.api_key };
}
