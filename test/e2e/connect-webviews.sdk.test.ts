import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SeamHttp, SeamHttpApiError, SeamHttpInvalidInputError } from '@seamapi/http/connect';
import { lastJsonLine, runCli, ServerProcess } from '../support/server-process.js';

// The official SDK, unchanged, against the running server: what an app does.
describe('Connect Webviews through the official SDK', () => {
  const server = new ServerProcess();
  let seam: SeamHttp;
  let otherWorkspace: SeamHttp;

  beforeAll(async () => {
    await server.start();
    seam = new SeamHttp({ apiKey: server.sandboxApiKey!, endpoint: server.url });
    const other = lastJsonLine((await runCli(server.dataDir, ['workspace', 'create', '--name', 'Other'])).stdout);
    otherWorkspace = new SeamHttp({ apiKey: other.api_key, endpoint: server.url });
    await waitUntilAccepted(otherWorkspace);
  });
  afterAll(() => server.stop());

  it('returns a webview created with custom_metadata from get and list', async () => {
    const created = await seam.connectWebviews.create({ custom_metadata: { id: 'internal_id_1', vip: true } });
    expect(created.custom_metadata).toEqual({ id: 'internal_id_1', vip: true });
    expect(created.status).toBe('pending');
    expect(created.url).toContain(server.url);
    const fetched = await seam.connectWebviews.get({ connect_webview_id: created.connect_webview_id });
    expect(fetched).toEqual(created);
    const listed = await seam.connectWebviews.list({ custom_metadata_has: { id: 'internal_id_1' } });
    expect(listed).toEqual([created]);
  });

  it('defaults custom_metadata to {} and fills every field of the object', async () => {
    const created = await seam.connectWebviews.create({});
    expect(created).toMatchObject({
      custom_metadata: {},
      workspace_id: expect.any(String),
      connected_account_id: null,
      login_successful: false,
      authorized_at: null,
      selected_provider: null,
      custom_redirect_url: null,
      custom_redirect_failure_url: null,
      automatically_manage_new_devices: true,
      wait_for_device_creation: false,
      device_selection_mode: 'none',
      any_provider_allowed: true,
    });
    expect(new Date(created.created_at).toISOString()).toBe(created.created_at);
  });

  it('filters with custom_metadata_has on every pair, strings and booleans strictly', async () => {
    const tag = `filter-${Date.now()}`;
    const make = (custom_metadata: Record<string, string | boolean>) =>
      seam.connectWebviews.create({ custom_metadata: { tag, ...custom_metadata } });
    const bothTrue = await make({ tenant: 't1', vip: true });
    const stringTrue = await make({ tenant: 't1', vip: 'true' });
    const otherTenant = await make({ tenant: 't2', vip: true });
    const noVip = await make({ tenant: 't1' });
    const ids = async (custom_metadata_has: Record<string, string | boolean>) =>
      (await seam.connectWebviews.list({ custom_metadata_has: { tag, ...custom_metadata_has } }))
        .map((w) => w.connect_webview_id)
        .sort();
    expect(await ids({ tenant: 't1', vip: true })).toEqual([bothTrue.connect_webview_id]);
    // SDK 2.x lists with GET, where `true` and "true" are the same text: the query means the boolean. A JSON
    // body keeps the types, so a POST tells the string apart.
    const idsByPost = async (custom_metadata_has: Record<string, string | boolean>) => {
      const { data } = await seam.client.post<{ connect_webviews: { connect_webview_id: string }[] }>(
        '/connect_webviews/list',
        {
          custom_metadata_has: { tag, ...custom_metadata_has },
        },
      );
      return data.connect_webviews.map((w) => w.connect_webview_id).sort();
    };
    expect(await idsByPost({ vip: 'true' })).toEqual([stringTrue.connect_webview_id]);
    expect(await idsByPost({ vip: true })).toEqual(
      [bothTrue.connect_webview_id, otherTenant.connect_webview_id].sort(),
    );
    expect(await ids({ vip: true })).toEqual([bothTrue.connect_webview_id, otherTenant.connect_webview_id].sort());
    expect(await ids({ tenant: 't1' })).toEqual(
      [bothTrue.connect_webview_id, stringTrue.connect_webview_id, noVip.connect_webview_id].sort(),
    );
    expect(await ids({ tenant: 'nobody' })).toEqual([]);
  });

  const tooMany = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`key_${i}`, 'v']));
  it.each([
    ['51 keys', tooMany],
    ['a 41-character key', { ['k'.repeat(41)]: 'v' }],
    ['a 501-character value', { k: 'v'.repeat(501) }],
    ['a number value', { k: 1 }],
    ['an object value', { k: { nested: 'object' } }],
  ])('rejects %s with SeamHttpInvalidInputError naming custom_metadata', async (_, custom_metadata) => {
    const error = await seam.connectWebviews
      .create({ custom_metadata: custom_metadata as Record<string, string> })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SeamHttpInvalidInputError);
    expect((error as SeamHttpInvalidInputError).statusCode).toBe(400);
    expect((error as Error).message).toMatch(/for "custom_metadata(\.[^"]+)?"$/);
  });

  it('names the parameter in validation_errors as the SDK reads it', async () => {
    const error = (await seam.connectWebviews
      .create({ custom_metadata: tooMany })
      .catch((e: unknown) => e)) as SeamHttpInvalidInputError;
    expect(error.getValidationErrorMessages('custom_metadata')).toEqual([
      'Custom metadata is limited to a maximum of 50 keys',
    ]);
  });

  it('walks every webview exactly once across pages', async () => {
    const batch = `page-${Date.now()}`;
    const created = new Set<string>();
    for (let i = 0; i < 23; i++) {
      created.add((await seam.connectWebviews.create({ custom_metadata: { batch } })).connect_webview_id);
    }
    const pages = seam.createPaginator(seam.connectWebviews.list({ custom_metadata_has: { batch }, limit: 5 }));
    const walked = (await pages.flattenToArray()).map((w) => w.connect_webview_id);
    expect(walked).toHaveLength(23);
    expect(new Set(walked)).toEqual(created);
    const [firstPage, pagination] = await pages.firstPage();
    expect(firstPage).toHaveLength(5);
    expect(pagination.hasNextPage).toBe(true);
  });

  it('refuses a page cursor sent with other parameters', async () => {
    const batch = `cursor-${Date.now()}`;
    for (let i = 0; i < 3; i++) await seam.connectWebviews.create({ custom_metadata: { batch } });
    const [, pagination] = await seam
      .createPaginator(seam.connectWebviews.list({ custom_metadata_has: { batch }, limit: 2 }))
      .firstPage();
    const error = await seam.connectWebviews
      .list({ custom_metadata_has: { batch: 'other' }, page_cursor: pagination.nextPageCursor! })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SeamHttpApiError);
    expect((error as SeamHttpApiError).code).toBe('mismatched_page_parameters');
    expect((error as SeamHttpApiError).statusCode).toBe(400);
  });

  it("hides one workspace's webviews from another's key: 404 on get, absent from list", async () => {
    const mine = await seam.connectWebviews.create({ custom_metadata: { owner: 'sandbox' } });
    const error = await otherWorkspace.connectWebviews
      .get({ connect_webview_id: mine.connect_webview_id })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SeamHttpApiError);
    expect((error as SeamHttpApiError).statusCode).toBe(404);
    expect((error as SeamHttpApiError).code).toBe('connect_webview_not_found');
    expect((error as SeamHttpApiError).data).toEqual({ connect_webview_id: mine.connect_webview_id });
    expect(await otherWorkspace.connectWebviews.list()).toEqual([]);
    expect(await otherWorkspace.connectWebviews.list({ custom_metadata_has: { owner: 'sandbox' } })).toEqual([]);
    const deleteError = await otherWorkspace.connectWebviews
      .delete({ connect_webview_id: mine.connect_webview_id })
      .catch((e: unknown) => e);
    expect((deleteError as SeamHttpApiError).statusCode).toBe(404);
    expect(await seam.connectWebviews.get({ connect_webview_id: mine.connect_webview_id })).toEqual(mine);
  });

  it('deletes a webview: gone from get and list, a second delete is 404', async () => {
    const doomed = await seam.connectWebviews.create({ custom_metadata: { doomed: true } });
    await seam.connectWebviews.delete({ connect_webview_id: doomed.connect_webview_id });
    await expect(seam.connectWebviews.get({ connect_webview_id: doomed.connect_webview_id })).rejects.toMatchObject({
      statusCode: 404,
    });
    expect(await seam.connectWebviews.list({ custom_metadata_has: { doomed: true } })).toEqual([]);
    await expect(seam.connectWebviews.delete({ connect_webview_id: doomed.connect_webview_id })).rejects.toMatchObject({
      code: 'connect_webview_not_found',
    });
  });
});

/** A key made by the CLI reaches the server through the shared log; the contract is "within one second". */
async function waitUntilAccepted(seam: SeamHttp): Promise<void> {
  const deadline = Date.now() + 1000;
  for (;;) {
    try {
      await seam.connectWebviews.list();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
