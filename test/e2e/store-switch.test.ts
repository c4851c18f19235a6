import { afterAll, describe, expect, it } from '@jest/globals';
import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { newDataDir, runCli, ServerProcess } from '../support/server-process.js';

// After copy-events into another store and a switch to it, positions mean something else: the read models
// built from the old store are rebuilt from the new one's start, said so in one log line, and serve the same.
describe('switching to a copied log', () => {
  const server = new ServerProcess();
  afterAll(() => server.stop());

  it('rebuilds the read models from the new log and serves what it served before', async () => {
    await server.start();
    const call = async (path: string, body: unknown = {}) => (await server.post(path, body)).body;
    for (let i = 0; i < 5; i++) await call('/connect_webviews/create', { custom_metadata: { n: String(i) } });
    const before = await call('/connect_webviews/list');
    await server.stop();

    // A copy with other positions: the copy's log starts with events the source never had.
    const copy = join(newDataDir(), 'events.db');
    const other = newDataDir();
    await runCli(other, ['workspace', 'create', '--name', 'Other']);
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
    expect(server.sandboxApiKey).toBeDefined();
    const after = await call('/connect_webviews/list');
    expect(after.connect_webviews.map((w: any) => [w.connect_webview_id, w.custom_metadata])).toEqual(
      before.connect_webviews.map((w: any) => [w.connect_webview_id, w.custom_metadata]),
    );
  }, 60_000);
});
