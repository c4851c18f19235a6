import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { SeamHttp } from '@seamapi/http/connect';
import { openSqlite } from '../../src/common/sqlite.js';
import { TamperedEventError } from '../../src/encryption/sealed-event-store.js';
import { openServerLog } from '../support/server-log.js';
import { newDataDir, runCli, ServerProcess } from '../support/server-process.js';

/** What the server prints before it exits, when it refuses to start. */
async function refusal(dataDir: string, env: Record<string, string> = {}): Promise<string> {
  const server = new ServerProcess(dataDir, env);
  const error = await server.start().then(
    () => undefined,
    (e: unknown) => String(e),
  );
  await server.stop();
  return error ?? 'it started';
}

describe('encryption: faults', () => {
  const server = new ServerProcess();
  afterAll(() => server.stop());

  it('names a tampered event and never uses its data', async () => {
    await server.start();
    const seam = new SeamHttp({ apiKey: server.sandboxApiKey!, endpoint: server.url });
    await seam.connectWebviews.create({ custom_metadata: { n: 'one' } });
    await server.stop();
    const db = openSqlite(join(server.dataDir, 'events.db'));
    const row = db.prepare("SELECT event_id, data FROM events WHERE type = 'MetadataSet' LIMIT 1").get() as {
      event_id: string;
      data: string;
    };
    const { sealed } = JSON.parse(row.data) as { sealed: string };
    const bytes = Buffer.from(sealed, 'base64');
    bytes[20] ^= 1; // one ciphertext byte
    db.prepare('UPDATE events SET data = ? WHERE event_id = ?').run(
      JSON.stringify({ sealed: bytes.toString('base64') }),
      row.event_id,
    );
    db.close();
    const store = openServerLog(server.dataDir);
    try {
      const read = store.readAll();
      await expect(read).rejects.toThrow(TamperedEventError);
      await expect(read).rejects.toThrow(`Event ${row.event_id}`);
    } finally {
      await store.close();
    }
  });

  it('refuses to start on the wrong master key, without one, or without the log’s key store', async () => {
    const dataDir = newDataDir();
    await new ServerProcess(dataDir).start().then((s) => s.stop());
    expect(await refusal(dataDir, { MASTER_KEY: randomBytes(32).toString('base64') })).toContain(
      'Not starting: The master key does not open the key store',
    );
    renameSync(join(dataDir, 'master.key'), join(dataDir, 'master.key.away'));
    expect(await refusal(dataDir)).toContain('and there is no master key: set MASTER_KEY_FILE');
    renameSync(join(dataDir, 'master.key.away'), join(dataDir, 'master.key'));
    renameSync(join(dataDir, 'keys.db'), join(dataDir, 'keys.db.away'));
    expect(await refusal(dataDir, { MASTER_KEY_FILE: join(dataDir, 'master.key') })).toContain(
      'Not starting: This log is sealed with key store',
    );
  });

  it('rotates the master key under a write load, losing no write; the old key then opens nothing', async () => {
    const dataDir = newDataDir();
    const live = await new ServerProcess(dataDir, {
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      WEBHOOKS_PER_WORKSPACE: '10000',
    }).start();
    try {
      const oldKey = readFileSync(join(dataDir, 'master.key'), 'utf8').trim();
      const seam = new SeamHttp({ apiKey: live.sandboxApiKey!, endpoint: live.url });
      let writing = true;
      const written: string[] = [];
      const load = (async () => {
        // Each webhook needs a data key of its own: keys are created while the rotation runs.
        for (let i = 0; writing || i < 5; i++) {
          const webhook = await seam.webhooks.create({ url: `http://127.0.0.1:9/${i}` });
          written.push(webhook.webhook_id);
        }
      })();
      const rotated = await runCli(dataDir, ['keys', 'rotate-master']);
      writing = false;
      await load;
      expect([rotated.code, rotated.stderr]).toEqual([0, '']);
      expect(JSON.parse(rotated.stdout.trim())).toMatchObject({ data_keys_rewrapped: expect.any(Number) });
      expect(readFileSync(join(dataDir, 'master.key'), 'utf8').trim()).not.toBe(oldKey);
      await live.stop();

      await live.start();
      const restarted = new SeamHttp({ apiKey: live.sandboxApiKey!, endpoint: live.url });
      const listed = (await restarted.webhooks.list()).map((w) => w.webhook_id);
      expect(listed.sort()).toEqual([...written].sort());
      // Read back from the log alone (a rebuild), under the new key.
      const verify = await runCli(dataDir, ['replay', '--verify']);
      expect(verify.code).toBe(0);
      await live.stop();
      expect(await refusal(dataDir, { MASTER_KEY: oldKey })).toContain('The master key does not open the key store');
    } finally {
      await live.stop();
    }
  });
});
