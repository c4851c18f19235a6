import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { SeamHttp } from '@seamapi/http/connect';
import { READ_MODEL_SCHEMA } from '../../src/read-model-schema.js';
import { ReadModelDatabase } from '../../src/read-models/read-model-database.js';
import { rebuildReadModels } from '../../src/runtime.js';
import { newDataDir, ServerProcess } from '../support/server-process.js';
import { openServerLog } from '../support/server-log.js';

const quiet = { log: () => undefined, error: (message: string) => console.error(message) };

describe('durability', () => {
  const server = new ServerProcess();
  afterAll(() => server.stop());

  it('keeps an acknowledged create through kill -9 and a restart, unchanged', async () => {
    await server.start();
    const apiKey = server.sandboxApiKey!;
    let seam = new SeamHttp({ apiKey, endpoint: server.url });
    const created = await seam.connectWebviews.create({ custom_metadata: { id: 'internal_id_1', crash: true } });
    await server.kill9();

    await server.start();
    seam = new SeamHttp({ apiKey, endpoint: server.url });
    const after = await seam.connectWebviews.get({ connect_webview_id: created.connect_webview_id });
    expect({ ...after, url: undefined }).toEqual({ ...created, url: undefined });
    expect(after.url).toContain(created.connect_webview_id);
  });

  it('rebuilds from the log alone read models equal to the live ones', async () => {
    const seam = new SeamHttp({ apiKey: server.sandboxApiKey!, endpoint: server.url });
    const kept = await seam.connectWebviews.create({ custom_metadata: { keep: 'yes', flag: false } });
    const doomed = await seam.connectWebviews.create({ custom_metadata: { keep: 'no' } });
    await seam.connectWebviews.delete({ connect_webview_id: doomed.connect_webview_id });
    await server.stop();

    const store = openServerLog(server.dataDir);
    const rebuilt = await rebuildReadModels(store, join(newDataDir(), 'read-models.db'), quiet);
    const live = new ReadModelDatabase(join(server.dataDir, 'read-models.db'), READ_MODEL_SCHEMA);
    try {
      const liveDump = live.dump();
      expect(rebuilt.dump()).toEqual(liveDump);
      expect(liveDump.connect_webviews.length).toBeGreaterThanOrEqual(2);
      expect(JSON.stringify(liveDump.connect_webviews)).toContain(kept.connect_webview_id);
      expect(JSON.stringify(liveDump.connect_webviews)).not.toContain(doomed.connect_webview_id);
      expect(liveDump.api_keys).toHaveLength(1);
      expect(rebuilt.checkpoint('read_models')).toBe(await store.headPosition());
    } finally {
      rebuilt.close();
      live.close();
      await store.close();
    }
  });
});
