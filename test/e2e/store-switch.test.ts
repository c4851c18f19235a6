import { afterAll, describe, expect, it } from '@jest/globals';
import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { sandboxClient } from '../support/sandbox.js';
import { newDataDir, runCli, ServerProcess } from '../support/server-process.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

// After copy-events into another store and a switch to it, positions mean something else: the read models
// built from the old store are rebuilt from the new one's start, said so in one log line, and serve the same;
// webhooks resume after the last event they delivered, found again by its id, and deliver no history again.
describe('switching to a copied log', () => {
  const server = new ServerProcess(undefined, { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' });
  const hook = new WebhookReceiver();
  afterAll(async () => {
    await server.stop();
    await hook.stop();
  });

  it('rebuilds the read models from the new log, serves the same, and redelivers nothing', async () => {
    await server.start();
    await hook.start();
    const call = async (path: string, body: unknown = {}) => (await server.post(path, body)).body;
    const complete = async (email: string) => {
      const webview = (await call('/connect_webviews/create', { custom_metadata: { email } })).connect_webview;
      expect((await sandboxClient(server).completeWebview(webview.connect_webview_id, email)).status).toBe(200);
    };
    const webhook = (await call('/webhooks/create', { url: hook.url, event_types: ['connected_account.created'] }))
      .webhook;
    await complete('first@example.com');
    await complete('second@example.com');
    await hook.until(() => hook.received.length === 2);
    const before = await call('/connect_webviews/list');
    await server.stop();

    // A copy with other positions: the copy's log starts with events the source never had.
    const copy = join(newDataDir(), 'events.db');
    const other = newDataDir();
    // (Written in clear, as before encryption: sealed, its events would need that directory's key store.)
    await runCli(other, ['workspace', 'create', '--name', 'Other'], { EVENT_ENCRYPTION: 'off' });
    renameSync(join(other, 'events.db'), copy);
    rmSync(join(other, 'events.db-wal'), { force: true });
    const copied = await runCli(server.dataDir, ['copy-events', '--to', copy]);
    expect(copied.code).toBe(0);
    for (const suffix of ['', '-wal', '-shm']) rmSync(join(server.dataDir, `events.db${suffix}`), { force: true });
    renameSync(copy, join(server.dataDir, 'events.db'));
    rmSync(`${copy}-wal`, { force: true });
    rmSync(`${copy}-shm`, { force: true });

    await server.start();
    expect(server.output).toMatch(/read models were built from another log .*rebuilding them from its start/);
    const after = await call('/connect_webviews/list');
    expect(after.connect_webviews.map((w: any) => [w.connect_webview_id, w.custom_metadata])).toEqual(
      before.connect_webviews.map((w: any) => [w.connect_webview_id, w.custom_metadata]),
    );

    await complete('third@example.com');
    await hook.until(() => hook.received.length >= 3);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const emails = hook.received.map((d) => JSON.parse(d.body).connected_account_custom_metadata?.email as string);
    expect(emails).toEqual(['first@example.com', 'second@example.com', 'third@example.com']);
    expect((await call('/webhooks/get', { webhook_id: webhook.webhook_id })).webhook.delivery.pending_count).toBe(0);
  }, 60_000);
});
