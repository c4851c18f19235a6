import { afterAll, describe, expect, it } from '@jest/globals';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SeamHttp } from '@seamapi/http/connect';
import { immediateTransaction, openSqlite } from '../../src/common/sqlite.js';
import { SqliteEventStore } from '../../src/event-store/sqlite-event-store.js';
import { sandboxClient } from '../support/sandbox.js';
import { newDataDir, ServerProcess } from '../support/server-process.js';

/** 400,000 events of a type no projection reads (and, at start, the log's marker and its key store's): the rebuild still has to step over every one. */
function writeLongLog(dataDir: string): void {
  void new SqliteEventStore(join(dataDir, 'events.db')).close();
  const db = openSqlite(join(dataDir, 'events.db'), { synchronous: 'OFF' });
  const insert = db.prepare(
    `INSERT INTO events (event_id, stream, revision, type, data, metadata, recorded_at)
     VALUES (?, ?, 0, 'SomethingElse', '{}', '{"schema_version":1}', '2026-11-23T00:00:00.000Z')`,
  );
  immediateTransaction(db, () => {
    for (let i = 0; i < 400_000; i++) insert.run(`e${i}`, `other-${i}`);
  });
  db.close();
}

/** The projections' files that a rebuild wrote (named by the version they hold), beside the live ones. */
const rebuiltFiles = (dataDir: string) =>
  readdirSync(dataDir).filter((name) => /^read-models--\w+--v\d+-.+\.db$/.test(name));

// A server on a long log listens at once and says it is catching up, rather than staying silent until done.
describe('start-up on a long log', () => {
  const dataDir = newDataDir();
  const server = new ServerProcess(dataDir);
  afterAll(() => server.stop());

  it('listens at once, answers 503 catching_up until its read models reach the head, then serves', async () => {
    writeLongLog(dataDir);
    await server.start({ untilCaughtUp: false });
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(503);
    expect(health.headers.get('retry-after')).toBe('1');
    expect(await health.json()).toMatchObject({ ok: false, error: { type: 'catching_up' } });
    expect((await fetch(`${server.url}/health/ready`)).status).toBe(503);
    expect(await (await fetch(`${server.url}/health/live`)).json()).toEqual({ ok: true });
    const route = await fetch(`${server.url}/devices/list`, { method: 'POST' });
    expect(route.status).toBe(503);
    expect(route.headers.get('retry-after')).toBe('1');
    expect(await route.json()).toMatchObject({ ok: false, error: { type: 'catching_up' } });

    let status = 0;
    for (let i = 0; i < 600 && status !== 200; i++) {
      status = (await fetch(`${server.url}/health`)).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe(200);
    expect((await fetch(`${server.url}/health/ready`)).status).toBe(200);
    // Caught up, routes answer as usual: here 401, since this log holds no workspace.
    expect((await fetch(`${server.url}/devices/list`, { method: 'POST' })).status).toBe(401);
    // Its read models were empty: each projection was rebuilt into a fresh file, made live once complete.
    // 400,000 events and the log's identity marker, appended at the first start.
    expect(server.output).toMatch(/Rebuilt connect_webviews, .*workspaces from 400002 events: now live/);
    expect(rebuiltFiles(dataDir)).toHaveLength(6);
  }, 120_000);

  it('stops at once when told to during the rebuild, leaving no partial file, and rebuilds at the next start', async () => {
    const stopped = newDataDir();
    writeLongLog(stopped);
    const restarted = new ServerProcess(stopped);
    // Held after its first batch until the stop: the stop always arrives during the rebuild.
    await restarted.start({ untilCaughtUp: false, env: { CMS_TEST_HOLD_REBUILD: 'after_first_batch' } });
    try {
      let message = '';
      for (let i = 0; i < 200 && !/at position [1-9]/.test(message); i++) {
        message =
          ((await (await fetch(restarted.detailedHealthUrl)).json()) as { error?: { message: string } }).error
            ?.message ?? '';
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(message).toMatch(/^Read models at position [1-9]\d* of 400000$/); // the detail follows the rebuild
      // The API's port tells an anonymous caller the reason only: no log position.
      expect(await (await fetch(`${restarted.url}/health`)).json()).toEqual({
        ok: false,
        error: { type: 'catching_up', message: 'The read models are catching up with the log' },
      });
      const asked = performance.now();
      expect(await restarted.terminate()).toBe(0);
      expect(performance.now() - asked).toBeLessThan(2_000);
      expect(rebuiltFiles(stopped)).toEqual([]); // the partial files are gone; the empty live ones stay

      await restarted.start();
      expect(restarted.output).toMatch(/Rebuilt connect_webviews, .*workspaces from 400002 events: now live/);
    } finally {
      await restarted.stop();
    }
  }, 120_000);
});

describe('start-up with empty read models on a log with data', () => {
  const server = new ServerProcess();
  afterAll(() => server.stop());

  it('rebuilds them into a fresh file, serves what the log holds, and goes on projecting', async () => {
    await server.start();
    const apiKey = server.sandboxApiKey!;
    let seam = new SeamHttp({ apiKey, endpoint: server.url });
    for (let i = 0; i < 3; i++) {
      const webview = await seam.connectWebviews.create({ custom_metadata: { internal_account_id: `user-${i}` } });
      await sandboxClient(server).completeWebview(webview.connect_webview_id, `start-${i}@example.com`);
    }
    const [account] = await seam.connectedAccounts.list({ custom_metadata_has: { internal_account_id: 'user-1' } });
    await seam.connectedAccounts.update({
      connected_account_id: account.connected_account_id,
      custom_metadata: { internal_account_id: 'user-1', plan: 'pro', trial: false },
    });
    // A webview's url names the server's address, which changes with the restart.
    const withoutUrl = (webviews: { url: string }[]) => webviews.map((webview) => ({ ...webview, url: undefined }));
    const before = {
      webviews: withoutUrl(await seam.connectWebviews.list()),
      accounts: await seam.connectedAccounts.list(),
      devices: await seam.devices.list(),
    };
    await server.stop();
    // The operator deletes the read models, every file of them.
    for (const name of readdirSync(server.dataDir).filter((file) => file.startsWith('read-models'))) {
      rmSync(join(server.dataDir, name), { force: true });
    }

    await server.start();
    expect(server.output).toMatch(/Rebuilding connect_webviews, .*workspaces from the log beside the live read models/);
    expect(server.output).toMatch(/Rebuilt connect_webviews, .*workspaces from \d+ events: now live/);
    expect(rebuiltFiles(server.dataDir)).toHaveLength(6);
    seam = new SeamHttp({ apiKey, endpoint: server.url });
    expect(withoutUrl(await seam.connectWebviews.list())).toEqual(before.webviews);
    expect(await seam.connectedAccounts.list()).toEqual(before.accounts);
    expect(await seam.devices.list()).toEqual(before.devices);
    // The read indexes a bulk load builds at its end are there: the filters find what they should.
    const pro = await seam.connectedAccounts.list({ custom_metadata_has: { plan: 'pro', trial: false } });
    expect(pro.map((a) => a.connected_account_id)).toEqual([account.connected_account_id]);
    // The projector goes on from the rebuilt file's checkpoint.
    const later = await seam.connectWebviews.create({ custom_metadata: { after: 'rebuild' } });
    const found = await seam.connectWebviews.list({ custom_metadata_has: { after: 'rebuild' } });
    expect(found.map((w) => w.connect_webview_id)).toEqual([later.connect_webview_id]);
  }, 60_000);
});
