import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SeamHttp, SeamHttpApiError } from '@seamapi/http/connect';
import { sandboxClient } from '../support/sandbox.js';
import { ServerProcess } from '../support/server-process.js';

const REVISION = 'seam-custom-metadata-revision';

// Compare-and-set updates (an extension): `expected_custom_metadata_revision` on the updates that take
// `custom_metadata`, and `seam-custom-metadata-revision` on every get and update answer.
describe('compare-and-set updates of custom metadata', () => {
  const server = new ServerProcess();
  let seam: SeamHttp;
  let accountId: string;
  let deviceId: string;
  let webviewId: string;
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.sandboxApiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, revision: response.headers.get(REVISION), body: (await response.json()) as any };
  };
  const lastHistoryRevision = async (path: string, body: unknown) => {
    const { body: history } = await post(path, body);
    return String(history.custom_metadata_history.at(-1).revision);
  };

  beforeAll(async () => {
    await server.start();
    seam = new SeamHttp({ apiKey: server.sandboxApiKey!, endpoint: server.url });
    const webview = await seam.connectWebviews.create({ custom_metadata: { tenant: 't1' } });
    webviewId = webview.connect_webview_id;
    const done = await sandboxClient(server).completeWebview(webviewId, 'cas@example.com');
    accountId = done.body.connect_webview.connected_account_id;
    [{ device_id: deviceId }] = await seam.devices.list({ connected_account_id: accountId });
  });
  afterAll(() => server.stop());

  it('answers the revision custom_metadata_history shows, on gets and updates, over plain HTTP', async () => {
    const get = await post('/connected_accounts/get', { connected_account_id: accountId });
    expect(get.revision).toBe(
      await lastHistoryRevision('/connected_accounts/custom_metadata_history', { connected_account_id: accountId }),
    );
    const updated = await post('/connected_accounts/update', {
      connected_account_id: accountId,
      custom_metadata: { tenant: 't1', plan: 'pro' },
      expected_custom_metadata_revision: Number(get.revision),
    });
    expect(updated.status).toBe(200);
    expect(updated.revision).toBe(
      await lastHistoryRevision('/connected_accounts/custom_metadata_history', { connected_account_id: accountId }),
    );
    expect(Number(updated.revision)).toBeGreaterThan(Number(get.revision));

    const device = await post('/devices/get', { device_id: deviceId });
    expect(device.revision).toBe(
      await lastHistoryRevision('/devices/custom_metadata_history', { device_id: deviceId }),
    );
    const webview = await post('/connect_webviews/get', { connect_webview_id: webviewId });
    expect(webview.revision).toBe(
      await lastHistoryRevision('/connect_webviews/custom_metadata_history', { connect_webview_id: webviewId }),
    );
  });

  it('refuses a stale revision with 409, naming the current one, and writes nothing', async () => {
    const before = await post('/connected_accounts/get', { connected_account_id: accountId });
    const stale = Number(before.revision) - 1;
    const refused = await post('/connected_accounts/update', {
      connected_account_id: accountId,
      custom_metadata: { tenant: 'lost' },
      expected_custom_metadata_revision: stale,
    });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      ok: false,
      error: {
        type: 'custom_metadata_revision_mismatch',
        data: { expected_custom_metadata_revision: stale, custom_metadata_revision: Number(before.revision) },
      },
    });
    const after = await post('/connected_accounts/get', { connected_account_id: accountId });
    expect(after.revision).toBe(before.revision);
    expect(after.body.connected_account.custom_metadata).toEqual(before.body.connected_account.custom_metadata);
    // A malformed revision is bad input, named.
    const malformed = await post('/devices/update', { device_id: deviceId, expected_custom_metadata_revision: 'one' });
    expect(malformed.status).toBe(400);
    expect(JSON.stringify(malformed.body)).toContain('expected_custom_metadata_revision');
  });

  it('passes through the SDK, which raises the 409 as an API error', async () => {
    const { revision } = await post('/devices/get', { device_id: deviceId });
    await seam.devices.update({
      device_id: deviceId,
      custom_metadata: { via: 'sdk' },
      expected_custom_metadata_revision: Number(revision),
    } as Parameters<SeamHttp['devices']['update']>[0]);
    expect((await seam.devices.get({ device_id: deviceId })).custom_metadata).toMatchObject({ via: 'sdk' });
    const stale = await seam.devices
      .update({
        device_id: deviceId,
        custom_metadata: { via: 'stale' },
        expected_custom_metadata_revision: Number(revision),
      } as Parameters<SeamHttp['devices']['update']>[0])
      .catch((error: unknown) => error);
    expect(stale).toBeInstanceOf(SeamHttpApiError);
    expect(stale).toMatchObject({ statusCode: 409, code: 'custom_metadata_revision_mismatch' });
    expect((await seam.devices.get({ device_id: deviceId })).custom_metadata).toMatchObject({ via: 'sdk' });
  });

  it('lets exactly one of two racing read-modify-writes win each round, and loses no update over 200 rounds', async () => {
    const rounds = 200;
    await post('/connected_accounts/update', { connected_account_id: accountId, custom_metadata: { counter: '0' } });
    const readModifyWrite = async (client: string) => {
      const read = await post('/connected_accounts/get', { connected_account_id: accountId });
      const counter = Number(read.body.connected_account.custom_metadata.counter);
      return { client, revision: Number(read.revision), next: String(counter + 1) };
    };
    let won = 0;
    for (let round = 0; round < rounds; round++) {
      // Both read before either writes: the same revision, the same counter.
      const reads = await Promise.all([readModifyWrite('a'), readModifyWrite('b')]);
      expect(reads[0].revision).toBe(reads[1].revision);
      const writes = await Promise.all(
        reads.map(({ client, revision, next }) =>
          post('/connected_accounts/update', {
            connected_account_id: accountId,
            custom_metadata: { counter: next, by: client },
            expected_custom_metadata_revision: revision,
          }),
        ),
      );
      expect(writes.map((w) => w.status).sort()).toEqual([200, 409]);
      won += writes.filter((w) => w.status === 200).length;
    }
    expect(won).toBe(rounds);
    const final = await post('/connected_accounts/get', { connected_account_id: accountId });
    expect(final.body.connected_account.custom_metadata.counter).toBe(String(rounds));
  }, 60_000);
});
