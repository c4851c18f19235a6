import { afterAll, describe, expect, it } from '@jest/globals';
import { sandboxClient } from '../support/sandbox.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { lastJsonLine, runCli, ServerProcess } from '../support/server-process.js';
import { postgresForTests } from '../support/postgres.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

// copy-events from SQLite into an empty PostgreSQL database keeps every position and the log's id, so a
// server switched to it goes on from its checkpoints: no read model rebuilt, no saga re-run, no webhook
// event delivered twice.
const postgres = await postgresForTests('the SQLite-to-PostgreSQL switch test');

(('skip' in postgres ? describe.skip : describe) as typeof describe)('switching from SQLite to PostgreSQL', () => {
  const hook = new WebhookReceiver();
  const servers: ServerProcess[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await hook.stop();
    if (!('skip' in postgres)) await postgres.stop();
  });

  it('carries on from the same positions: nothing re-applied, nothing redelivered', async () => {
    if ('skip' in postgres) return;
    const env = { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' };
    const onSqlite = new ServerProcess(undefined, env);
    servers.push(onSqlite);
    await onSqlite.start();
    await hook.start();
    const complete = async (server: ServerProcess, email: string) => {
      const webview = (await server.post('/connect_webviews/create', { custom_metadata: { email } })).body
        .connect_webview;
      expect((await sandboxClient(server).completeWebview(webview.connect_webview_id, email)).status).toBe(200);
    };
    const webhook = (
      await onSqlite.post('/webhooks/create', { url: hook.url, event_types: ['connected_account.created'] })
    ).body.webhook;
    await complete(onSqlite, 'first@example.com');
    await complete(onSqlite, 'second@example.com');
    await hook.until(() => hook.received.length === 2);
    const before = (await onSqlite.post('/connected_accounts/list')).body.connected_accounts;
    const workspaceId = (await onSqlite.post('/connect_webviews/list')).body.connect_webviews[0].workspace_id;
    const lastUse = async (server: ServerProcess, env: Record<string, string> = {}) =>
      (
        lastJsonLine(
          (await runCli(server.dataDir, ['api-key', 'list', '--workspace-id', workspaceId], env)).stdout,
        ) as unknown as {
          api_keys: { last_used_at: string | null }[];
        }
      ).api_keys[0].last_used_at;
    const usedOnSqlite = await lastUse(onSqlite);
    expect(usedOnSqlite).not.toBeNull();
    await onSqlite.stop();

    const databaseUrl = await postgres.createDatabase();
    // The URL (and its password) on the command line is refused; COPY_TO_URL carries it.
    const inArgv = await runCli(onSqlite.dataDir, ['copy-events', '--to', databaseUrl]);
    expect(inArgv.code).toBe(2);
    expect(inArgv.stderr).toContain('COPY_TO_URL');
    const copied = await runCli(onSqlite.dataDir, ['copy-events'], { COPY_TO_URL: databaseUrl });
    expect(copied.code).toBe(0);
    expect(copied.stdout).toMatch(/same positions and log id/);

    const onPostgres = new ServerProcess(onSqlite.dataDir, {
      ...env,
      EVENT_STORE: 'postgres',
      DATABASE_URL: databaseUrl,
    });
    onPostgres.sandboxApiKey = onSqlite.sandboxApiKey;
    servers.push(onPostgres);
    await onPostgres.start();
    expect(onPostgres.output).not.toMatch(/another log|rebuilding/);
    // The key's last use, kept in DATA_DIR's file on SQLite, is handed over to the shared table.
    expect(await lastUse(onPostgres, { EVENT_STORE: 'postgres', DATABASE_URL: databaseUrl })).toBe(usedOnSqlite);
    expect(existsSync(join(onSqlite.dataDir, 'api-key-usage.db'))).toBe(false);
    expect(onPostgres.output).not.toMatch(/sandbox workspace \S+ was created/); // the log is not new: no second sandbox workspace
    const after = (await onPostgres.post('/connected_accounts/list')).body.connected_accounts;
    expect(after).toEqual(before);

    await complete(onPostgres, 'third@example.com');
    await hook.until(() => hook.received.length >= 3);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const emails = hook.received.map((d) => JSON.parse(d.body).connected_account_custom_metadata?.email as string);
    expect(emails).toEqual(['first@example.com', 'second@example.com', 'third@example.com']);
    expect(
      (await onPostgres.post('/webhooks/get', { webhook_id: webhook.webhook_id })).body.webhook.delivery,
    ).toMatchObject({ pending_count: 0 });
    expect((await onPostgres.post('/connected_accounts/list')).body.connected_accounts).toHaveLength(3);
  }, 60_000);
});
