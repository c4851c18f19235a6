import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SeamHttp, SeamHttpApiError } from '@seamapi/http/connect';
import { schemas } from '@seamapi/types/connect';
import { sandboxClient } from '../support/sandbox.js';
import { ServerProcess } from '../support/server-process.js';

/** Seam's `connected_accounts/delete`, through the official SDK (DELETE with query parameters). */
describe('connectedAccounts.delete through SDK 2.x', () => {
  const server = new ServerProcess();
  let seam: SeamHttp;
  beforeAll(async () => {
    await server.start();
    seam = new SeamHttp({ apiKey: server.sandboxApiKey!, endpoint: server.url });
  });
  afterAll(() => server.stop());

  it('deletes the account and its devices; get answers 404; the event parses with @seamapi/types', async () => {
    const webview = await seam.connectWebviews.create({ custom_metadata: { id: 'to-delete' } });
    const completed = await sandboxClient(server).completeWebview(webview.connect_webview_id, 'gone@example.com');
    const accountId = completed.body.connect_webview.connected_account_id as string;
    expect((await seam.devices.list({ connected_account_id: accountId })).length).toBeGreaterThan(0);

    await seam.connectedAccounts.delete({ connected_account_id: accountId });

    const refused = await seam.connectedAccounts.get({ connected_account_id: accountId }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SeamHttpApiError);
    expect((refused as SeamHttpApiError).statusCode).toBe(404);
    expect(await seam.devices.list({ connected_account_id: accountId })).toEqual([]);
    const events = await seam.events.list({ since: '2000-01-01T00:00:00Z' });
    const deleted = events.filter((e) => e.event_type === 'connected_account.deleted');
    expect(deleted).toHaveLength(1);
    expect(schemas.seam_event.parse(deleted[0])).toMatchObject({ connected_account_id: accountId });
    for (const e of events.filter((e) => e.event_type === 'device.deleted')) schemas.seam_event.parse(e);
    // Only its deletion is left of the account in the events.
    expect(
      events
        .filter((e) => 'connected_account_id' in e && e.connected_account_id === accountId)
        .map((e) => e.event_type),
    ).toEqual(expect.arrayContaining(['connected_account.deleted']));
  });
});
