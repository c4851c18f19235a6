import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSqlite } from '../../src/common/sqlite.js';
import { liveProjectionFiles } from '../../src/read-models/read-model-database.js';
import { registerProjectedEventTime } from '../../src/read-models/row-history.js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SeamHttp } from '@seamapi/http/connect';
import { sandboxClient } from '../support/sandbox.js';
import { lastJsonLine, newDataDir, runCli, ServerProcess } from '../support/server-process.js';

describe('replay: rebuild, verify and swap read models beside a running server', () => {
  const server = new ServerProcess();
  let seam: SeamHttp;

  beforeAll(async () => {
    await server.start();
    seam = new SeamHttp({ apiKey: server.sandboxApiKey!, endpoint: server.url });
    const sandbox = sandboxClient(server);
    for (let i = 0; i < 5; i++) {
      const webview = await seam.connectWebviews.create({ custom_metadata: { batch: 'replay', i: String(i) } });
      await sandbox.completeWebview(webview.connect_webview_id, `replay-${i}@example.com`);
    }
  });
  afterAll(() => server.stop());

  const livePath = () => {
    try {
      return join(server.dataDir, readFileSync(join(server.dataDir, 'read-models.current'), 'utf8').trim());
    } catch {
      return join(server.dataDir, 'read-models.db');
    }
  };

  it('finds no difference between rebuilt and live read models', async () => {
    const result = await runCli(server.dataDir, ['replay', '--verify']);
    expect(result.stdout).toContain('verify: the rebuilt read models equal the live ones');
    expect(result.code).toBe(0);
  });

  it('builds on threads of their own with --threads, to the same read models', async () => {
    const threaded = await runCli(server.dataDir, ['replay', '--threads', '--swap']);
    expect(threaded.code).toBe(0);
    expect(threaded.stdout).toContain('swap: the running server now serves the rebuilt read models');
    const result = await runCli(server.dataDir, ['replay', '--verify']);
    expect(result.stdout).toContain('verify: the rebuilt read models equal the live ones');
    expect((await runCli(server.dataDir, ['replay', '--threads', '--verify'])).code).not.toBe(0);
  });

  it('lists a difference and exits 1 when the live read models were tampered with', async () => {
    // The accounts' own file, which the live main file names.
    const main = openSqlite(livePath(), { readonly: true });
    const accounts = liveProjectionFiles(main).get('connected_accounts')!;
    main.close();
    const db = openSqlite(accounts);
    // The history's triggers stamp the tampered row's version with the time of the event being applied.
    registerProjectedEventTime(db);
    db.projectedEventTime = Date.now();
    const tampered = db
      .prepare("UPDATE connected_accounts SET email = 'tampered@example.com' WHERE email = 'replay-0@example.com'")
      .run();
    db.close();
    expect(tampered.changes).toBe(1);
    const result = await runCli(server.dataDir, ['replay', '--verify']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('connected_accounts: 1 row(s) only in live, 1 only in rebuilt');
    expect(result.stdout).toContain('tampered@example.com');
  });

  it('swaps in the rebuilt read models while writes go on, losing none of them', async () => {
    const before = livePath();
    let writing = true;
    const written: string[] = [];
    const writer = (async () => {
      while (writing) {
        written.push((await seam.connectWebviews.create({ custom_metadata: { during: 'swap' } })).connect_webview_id);
      }
    })();
    const result = await runCli(server.dataDir, ['replay', '--swap']);
    writing = false;
    await writer;
    expect(result.stdout).toContain('swap: the running server now serves the rebuilt read models');
    expect(result.code).toBe(0);
    expect(livePath()).not.toBe(before);
    expect(written.length).toBeGreaterThan(0);

    const listed = await seam
      .createPaginator(seam.connectWebviews.list({ custom_metadata_has: { during: 'swap' } }))
      .flattenToArray();
    expect(listed.map((w) => w.connect_webview_id).sort()).toEqual([...written].sort());
    // The tampering above is gone: the rebuilt read models come from the log alone.
    expect((await seam.connectedAccounts.get({ email: 'replay-0@example.com' })).user_identifier).toEqual({
      email: 'replay-0@example.com',
    });
    expect((await runCli(server.dataDir, ['replay', '--verify'])).code).toBe(0);
  });

  it('swaps with no server running, and a server started later serves the rebuilt read models', async () => {
    const dataDir = newDataDir();
    const created = lastJsonLine((await runCli(dataDir, ['workspace', 'create', '--name', 'Offline'])).stdout);
    const swap = await runCli(dataDir, ['replay', '--swap']);
    expect(swap.stdout).toContain('swap: the rebuilt read models are live (no server was running)');
    expect(swap.code).toBe(0);
    const live = readFileSync(join(dataDir, 'read-models.current'), 'utf8').trim();
    expect(live).toMatch(/^read-models\..+\.db$/);
    const offline = await new ServerProcess(dataDir).start();
    try {
      const response = await fetch(`${offline.url}/connect_webviews/list`, {
        method: 'POST',
        headers: { authorization: `Bearer ${created.api_key}` },
      });
      expect(response.status).toBe(200);
    } finally {
      await offline.stop();
    }
  });

  it('prints a timeline, or JSON, of one resource with history', async () => {
    const [account] = await seam.connectedAccounts.list({ custom_metadata_has: { i: '3' } });
    const timeline = await runCli(server.dataDir, ['history', '--connected-account-id', account.connected_account_id]);
    expect(timeline.code).toBe(0);
    expect(timeline.stdout).toContain('1 change(s)');
    expect(timeline.stdout).toContain('webview_inherited');
    expect(timeline.stdout).toContain('+ i: "3"');
    const json = await runCli(server.dataDir, [
      'history',
      '--connected-account-id',
      account.connected_account_id,
      '--json',
    ]);
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({ custom_metadata: { batch: 'replay', i: '3' } }),
    ]);
    expect(
      (await runCli(server.dataDir, ['history', '--device-id', '00000000-0000-4000-8000-000000000000'])).code,
    ).toBe(1);
  });
});
