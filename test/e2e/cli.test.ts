import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { lastJsonLine, newDataDir, runCli, ServerProcess } from '../support/server-process.js';

const listWebviews = (url: string, apiKey: string) =>
  fetch(`${url}/connect_webviews/list`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}` } });

describe('CLI: workspaces and API keys', () => {
  let server: ServerProcess | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('creates a workspace with no server running; a server started later accepts its key and creates no sandbox', async () => {
    const dataDir = newDataDir();
    const result = await runCli(dataDir, ['workspace', 'create', '--name', 'Acme']);
    expect(result.code).toBe(0);
    const created = lastJsonLine(result.stdout);
    expect(Object.keys(created).sort()).toEqual(['api_key', 'api_key_id', 'workspace_id']);
    expect(created.api_key).toMatch(/^seam_[0-9a-f]{8}_/);

    server = await new ServerProcess(dataDir).start();
    expect(server.sandboxApiKey).toBeUndefined();
    expect((await listWebviews(server.url, created.api_key)).status).toBe(200);
  });

  it('creates a workspace while a server runs, whose key the server accepts within one second', async () => {
    server = await new ServerProcess().start();
    const created = lastJsonLine((await runCli(server.dataDir, ['workspace', 'create', '--name', 'Live'])).stdout);
    const start = Date.now();
    let status = 0;
    while (Date.now() - start < 1000) {
      status = (await listWebviews(server.url, created.api_key)).status;
      if (status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(status).toBe(200);
  });

  it('lists keys without secrets, and a revoked key gets 401 from a running server within one second', async () => {
    const live = await new ServerProcess().start();
    server = live;
    const first = lastJsonLine((await runCli(live.dataDir, ['workspace', 'create', '--name', 'Revoke'])).stdout);
    const second = lastJsonLine(
      (await runCli(live.dataDir, ['api-key', 'create', '--workspace-id', first.workspace_id])).stdout,
    );
    const until = async (key: string, wanted: number) => {
      const start = Date.now();
      let status = 0;
      while (Date.now() - start < 1000) {
        status = (await listWebviews(live.url, key)).status;
        if (status === wanted) break;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return status;
    };
    expect(await until(first.api_key, 200)).toBe(200);

    const listed = await runCli(live.dataDir, ['api-key', 'list', '--workspace-id', first.workspace_id]);
    expect(listed.code).toBe(0);
    for (const secret of [first.api_key, second.api_key]) expect(listed.stdout).not.toContain(secret);
    const { api_keys } = lastJsonLine(listed.stdout) as unknown as { api_keys: Record<string, string | null>[] };
    expect(api_keys.map((k) => k.api_key_id)).toEqual([first.api_key_id, second.api_key_id]);
    expect(api_keys[0]).toEqual({
      api_key_id: first.api_key_id,
      short_token: first.api_key.split('_').slice(0, 2).join('_'),
      created_at: expect.any(String),
      last_used_at: expect.any(String),
      revoked_at: null,
    });
    expect(api_keys[1].last_used_at).toBeNull();

    const revoked = await runCli(live.dataDir, ['api-key', 'revoke', '--api-key-id', first.api_key_id]);
    expect(revoked.code).toBe(0);
    expect(lastJsonLine(revoked.stdout)).toEqual({
      workspace_id: first.workspace_id,
      api_key_id: first.api_key_id,
      revoked: true,
    });
    expect(await until(first.api_key, 401)).toBe(401);
    expect((await listWebviews(live.url, second.api_key)).status).toBe(200);
    const after = lastJsonLine(
      (await runCli(live.dataDir, ['api-key', 'list', '--workspace-id', first.workspace_id])).stdout,
    ) as unknown as { api_keys: Record<string, string | null>[] };
    expect(after.api_keys[0].revoked_at).toEqual(expect.any(String));
    // Revoking again succeeds and changes nothing; an unknown key is refused.
    expect((await runCli(live.dataDir, ['api-key', 'revoke', '--api-key-id', first.api_key_id])).code).toBe(0);
    const unknown = await runCli(live.dataDir, ['api-key', 'revoke', '--api-key-id', 'no-such-key']);
    expect(unknown.code).toBe(1);
  });

  it('issues another key for a workspace; both see the same workspace', async () => {
    server = await new ServerProcess().start();
    const first = lastJsonLine((await runCli(server.dataDir, ['workspace', 'create', '--name', 'Two keys'])).stdout);
    const result = await runCli(server.dataDir, ['api-key', 'create', '--workspace-id', first.workspace_id]);
    expect(result.code).toBe(0);
    const second = lastJsonLine(result.stdout);
    expect(second.workspace_id).toBe(first.workspace_id);
    expect(second.api_key_id).not.toBe(first.api_key_id);
    expect(second.api_key).not.toBe(first.api_key);

    const create = await fetch(`${server.url}/connect_webviews/create`, {
      method: 'POST',
      headers: { authorization: `Bearer ${first.api_key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ custom_metadata: { shared: true } }),
    });
    expect(create.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const seen = (await (await listWebviews(server.url, second.api_key)).json()) as { connect_webviews: unknown[] };
    expect(seen.connect_webviews).toHaveLength(1);
  });

  it('stores keys only as hashes', async () => {
    const dataDir = newDataDir();
    const created = lastJsonLine((await runCli(dataDir, ['workspace', 'create', '--name', 'Hashed'])).stdout);
    // A clean close folds the WAL into the database file; read whatever files hold the log.
    const log = ['events.db', 'events.db-wal']
      .filter((file) => existsSync(join(dataDir, file)))
      .map((file) => readFileSync(join(dataDir, file)).toString('latin1'))
      .join('');
    expect(log).toContain(created.workspace_id);
    expect(log).not.toContain(created.api_key);
    // The secret part: after `seam_<8 hex>_` (it is base64url, so it may itself contain underscores).
    const secret = created.api_key.slice('seam_00000000_'.length);
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(log).not.toContain(secret);
  });

  it('says what is wrong: unknown workspace, missing option, unknown command', async () => {
    const dataDir = newDataDir();
    const unknown = await runCli(dataDir, [
      'api-key',
      'create',
      '--workspace-id',
      '00000000-0000-4000-8000-000000000000',
    ]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Workspace not found');
    const missing = await runCli(dataDir, ['workspace', 'create']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--name');
    expect((await runCli(dataDir, ['frobnicate'])).code).toBe(2);
    expect((await runCli(dataDir, ['--help'])).stdout).toContain('workspace create');
  });
});

describe('revocation reaches open event streams', () => {
  const server = new ServerProcess();
  afterEach(() => server.stop());

  it("ends a revoked key's open /events/stream within one second, with a retry: hint; another key's stays open", async () => {
    await server.start();
    const workspaceId = /sandbox workspace (\S+) was created/.exec(server.output)![1];
    const doomed = lastJsonLine(
      (await runCli(server.dataDir, ['api-key', 'create', '--workspace-id', workspaceId])).stdout,
    );
    const open = async (apiKey: string) => {
      const response = await fetch(`${server.url}/events/stream`, { headers: { authorization: `Bearer ${apiKey}` } });
      expect(response.status).toBe(200);
      const reader = response.body!.getReader();
      let text = '';
      const ended = (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return { at: performance.now(), text };
          text += new TextDecoder().decode(value);
        }
      })();
      return { ended, cancel: () => reader.cancel() };
    };
    for (let i = 0; i < 40 && (await listWebviews(server.url, doomed.api_key)).status !== 200; i++)
      await new Promise((resolve) => setTimeout(resolve, 50)); // the server takes the CLI's key within a second
    const revokedStream = await open(doomed.api_key);
    const otherStream = await open(server.sandboxApiKey!);
    const revoked = await runCli(server.dataDir, ['api-key', 'revoke', '--api-key-id', doomed.api_key_id]);
    expect(revoked.code).toBe(0);
    const revokedAt = performance.now();
    const { at, text } = await revokedStream.ended;
    expect(at - revokedAt).toBeLessThan(1000);
    expect(text).toMatch(/retry: \d+\n\n$/);
    const still = await Promise.race([
      otherStream.ended,
      new Promise((resolve) => setTimeout(() => resolve('open'), 500)),
    ]);
    expect(still).toBe('open');
    await otherStream.cancel();
    expect((await listWebviews(server.url, doomed.api_key)).status).toBe(401);
  });
});

describe('production defaults', () => {
  const server = new ServerProcess(undefined, { NODE_ENV: 'production' });
  afterEach(() => server.stop());

  it('creates no sandbox workspace nor key file on a new log with NODE_ENV=production outside a terminal', async () => {
    await server.start();
    expect(existsSync(join(server.dataDir, 'sandbox-api-key'))).toBe(false);
    expect(server.output).toContain('no sandbox workspace (NODE_ENV=production)');
    const created = await runCli(server.dataDir, ['workspace', 'create', '--name', 'Acme', '--production']);
    expect(created.code).toBe(0);
  });
});
