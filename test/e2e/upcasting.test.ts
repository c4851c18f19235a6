import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSqlite } from '../../src/common/sqlite.js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SeamHttp } from '@seamapi/http/connect';
import { SqliteEventStore } from '../../src/event-store/sqlite-event-store.js';
import { sandboxClient } from '../support/sandbox.js';
import { lastJsonLine, newDataDir, runCli, ServerProcess } from '../support/server-process.js';

// test/fixtures/events-schema-v1.jsonl was written by this project before ConnectedAccountCreated changed
// shape (v1: a bare `email`; v2: `user_identifier: {email}`). It is loaded byte for byte into a fresh log.
const fixture = readFileSync(join(import.meta.dirname, '../fixtures/events-schema-v1.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as Record<string, any>);

describe('replay reads events written by earlier versions', () => {
  const server = new ServerProcess(newDataDir());
  let apiKey = '';

  beforeAll(async () => {
    new SqliteEventStore(join(server.dataDir, 'events.db')).close();
    const db = openSqlite(join(server.dataDir, 'events.db'));
    const insert = db.prepare(
      'INSERT INTO events (position, event_id, stream, revision, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    for (const e of fixture) {
      insert.run(
        e.position,
        e.event_id,
        e.stream,
        e.revision,
        e.type,
        JSON.stringify(e.data),
        JSON.stringify(e.metadata),
        e.recorded_at,
      );
    }
    db.close();
  });
  afterAll(() => server.stop());

  it('upcasts a v1 ConnectedAccountCreated when the read models are built, and leaves the log as written', async () => {
    const v1 = fixture.find((e) => e.type === 'ConnectedAccountCreated')!;
    expect(v1.metadata.schema_version).toBe(1);
    expect(v1.data.email).toBe('legacy@example.com');

    const workspaceId = fixture[0].data.workspace_id as string;
    apiKey = lastJsonLine(
      (await runCli(server.dataDir, ['api-key', 'create', '--workspace-id', workspaceId])).stdout,
    ).api_key;
    await server.start();
    const seam = new SeamHttp({ apiKey, endpoint: server.url });
    const account = await seam.connectedAccounts.get({ connected_account_id: v1.data.connected_account_id });
    expect(account.user_identifier).toEqual({ email: 'legacy@example.com' });
    expect(account.custom_metadata).toEqual({ id: 'internal_id_1', tier: 'gold' });
    expect((await seam.connectedAccounts.get({ email: 'LEGACY@example.com' })).connected_account_id).toBe(
      v1.data.connected_account_id,
    );

    const replay = await runCli(server.dataDir, ['replay', '--verify']);
    expect(replay.stdout).toContain('equal the live ones');
    expect(replay.code).toBe(0);

    const stored = openSqlite(join(server.dataDir, 'events.db'), { readonly: true })
      .prepare('SELECT data, metadata FROM events WHERE event_id = ?')
      .get(v1.event_id) as { data: string; metadata: string };
    expect(JSON.parse(stored.data)).toEqual(v1.data);
    expect(JSON.parse(stored.metadata).schema_version).toBe(1);
  });

  it('decides on upcast state: a later webview for the same login reconnects the v1 account', async () => {
    const v1 = fixture.find((e) => e.type === 'ConnectedAccountCreated')!;
    const seam = new SeamHttp({ apiKey, endpoint: server.url });
    const webview = await seam.connectWebviews.create({ custom_metadata: { id: 'internal_id_3' } });
    const completed = await sandboxClient(server, apiKey).completeWebview(
      webview.connect_webview_id,
      'legacy@example.com',
    );
    expect(completed.body.connect_webview.connected_account_id).toBe(v1.data.connected_account_id);
    const account = await seam.connectedAccounts.get({ connected_account_id: v1.data.connected_account_id });
    expect(account.custom_metadata).toEqual({ id: 'internal_id_3' });
    expect(await seam.connectedAccounts.list()).toHaveLength(1);
  });
});
