import { join } from 'node:path';
import { openSqlite } from '../../src/common/sqlite.js';
import { afterAll, describe, expect, it } from '@jest/globals';
import { SeamHttp } from '@seamapi/http/connect';
import { connectWebviewDecider } from '../../src/connect-webviews/connect-webview.js';
import { DeciderCommandHandler } from '../../src/event-store/decider-command-handler.js';
import { connectedAccountDecider } from '../../src/connected-accounts/connected-account.js';
import { ConnectedAccountIds } from '../../src/connected-accounts/connected-account-id.js';
import { streams } from '../../src/event-store/streams.js';
import { sandboxDevices } from '../../src/providers/sandbox-accounts.js';
import { ServerProcess } from '../support/server-process.js';
import type { EventStore } from '../../src/event-store/event-store.js';
import { openServerLog } from '../support/server-log.js';

describe('completion saga durability', () => {
  const server = new ServerProcess();
  afterAll(() => server.stop());

  const readLog = async () => {
    const store = openServerLog(server.dataDir);
    try {
      return (await store.readAll()).map((e) => `${e.position} ${e.stream} ${e.type} ${e.id}`);
    } finally {
      await store.close();
    }
  };

  /** The saga's checkpoint, read beside the running server. */
  const sagaCheckpoint = () => {
    const db = openSqlite(join(server.dataDir, 'read-models.db'), { readonly: true });
    try {
      return (
        (
          db.prepare("SELECT position FROM checkpoints WHERE name = 'completion_saga'").get() as
            { position: number } | undefined
        )?.position ?? 0
      );
    } finally {
      db.close();
    }
  };

  /** What the completion's command handler appends, written to the log while the server is down. */
  const completeInLog = async (
    store: EventStore,
    webview: { connect_webview_id: string; url: string; workspace_id: string },
    { connection, accountMetadataVersion }: { connection: number; accountMetadataVersion?: number },
  ) =>
    new DeciderCommandHandler(store).handle(
      { decider: connectWebviewDecider, streamId: streams.connectWebview(webview.connect_webview_id) },
      {
        type: 'CompleteConnectWebview',
        connectWebviewId: webview.connect_webview_id,
        workspaceId: null,
        provider: 'august',
        email: 'crash@example.com',
        loginSucceeded: true,
        devices: sandboxDevices('august', 'crash@example.com', connection),
        connectedAccountId: await new ConnectedAccountIds(store).idFor(
          webview.workspace_id,
          'august',
          'crash@example.com',
        ),
        ...(accountMetadataVersion !== undefined ? { accountMetadataVersion } : {}),
        authToken: new URL(webview.url).searchParams.get('auth_token') ?? undefined,
        // What the server derives for this webview: the token in its url.
        derivedAuthToken: new URL(webview.url).searchParams.get('auth_token') ?? undefined,
        endUserAccess: { maxFailures: 10, lockoutMs: 60_000, tokenTtlMs: 86_400_000 },
        actor: { type: 'system' },
        now: new Date().toISOString(),
      },
    );

  const until = async (condition: () => boolean | Promise<boolean>) => {
    for (let i = 0; i < 200 && !(await condition()); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await condition()).toBe(true);
  };

  it('finishes, exactly once, a completion whose process died after WebviewCompleted was appended', async () => {
    await server.start();
    let seam = new SeamHttp({ apiKey: server.sandboxApiKey!, endpoint: server.url });
    const webview = await seam.connectWebviews.create({ custom_metadata: { id: 'internal_id_1', crash: true } });
    await server.kill9();

    // What a crash right after the command handler's append leaves: WebviewCompleted, and no account.
    const store = openServerLog(server.dataDir);
    await completeInLog(store, webview, { connection: 1 });
    await store.close();
    expect((await readLog()).some((line) => line.includes('ConnectedAccountCreated'))).toBe(false);

    await server.start();
    seam = new SeamHttp({ apiKey: server.sandboxApiKey!, endpoint: server.url });
    await until(
      async () =>
        (await seam.connectWebviews.get({ connect_webview_id: webview.connect_webview_id })).status === 'authorized',
    );
    const accounts = await seam.connectedAccounts.list();
    expect(accounts).toHaveLength(1);
    expect(accounts[0].custom_metadata).toEqual({ id: 'internal_id_1', crash: true });
    expect(await seam.devices.list({ connected_account_id: accounts[0].connected_account_id })).toHaveLength(2);
  });

  it('changes nothing when the saga runs again over the same events', async () => {
    const before = await readLog();
    await server.stop();
    const db = openSqlite(join(server.dataDir, 'read-models.db'));
    db.prepare("UPDATE checkpoints SET position = 0 WHERE name = 'completion_saga'").run();
    db.close();

    await server.start();
    const head = Number(before[before.length - 1].split(' ')[0]);
    await until(() => sagaCheckpoint() >= head);
    expect(await readLog()).toEqual(before);
    const seam = new SeamHttp({ apiKey: server.sandboxApiKey!, endpoint: server.url });
    expect(await seam.connectedAccounts.list()).toHaveLength(1);
  });

  it('lets an API update that follows a reconnection acceptance win over the replacement', async () => {
    let seam = new SeamHttp({ apiKey: server.sandboxApiKey!, endpoint: server.url });
    const [account] = await seam.connectedAccounts.list();
    const webview = await seam.connectWebviews.create({ custom_metadata: { from: 'webview' } });
    await server.kill9();

    // The completion accepted (its account's metadata version captured), then, before the saga ran its
    // replacement, an API update of the account answered 200.
    const store = openServerLog(server.dataDir);
    const accountStream = streams.connectedAccount(account.connected_account_id);
    const accountCommands = new DeciderCommandHandler(store);
    const accountTarget = { decider: connectedAccountDecider, streamId: accountStream };
    const version = (await accountCommands.state(accountTarget)).metadataVersion;
    await completeInLog(store, webview, { connection: 2, accountMetadataVersion: version });
    await accountCommands.handle(accountTarget, {
      type: 'UpdateConnectedAccount',
      connectedAccountId: account.connected_account_id,
      workspaceId: webview.workspace_id,
      customMetadata: { from: 'api' },
      actor: { type: 'system' },
      now: new Date().toISOString(),
    });
    await store.close();

    await server.start();
    seam = new SeamHttp({ apiKey: server.sandboxApiKey!, endpoint: server.url });
    await until(
      async () =>
        (await seam.connectWebviews.get({ connect_webview_id: webview.connect_webview_id })).status === 'authorized',
    );
    const after = await seam.connectedAccounts.get({ connected_account_id: account.connected_account_id });
    expect(after.custom_metadata).toEqual({ from: 'api' });
    expect(
      (await readLog()).filter((line) => line.includes(account.connected_account_id)).map((l) => l.split(' ')[2]),
    ).toEqual(expect.arrayContaining(['ConnectedAccountReconnected']));
  });
});
