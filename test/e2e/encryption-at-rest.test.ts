import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { openSqlite } from '../../src/common/sqlite.js';
import { postgresForTests } from '../support/postgres.js';
import { lastJsonLine, runCli, ServerProcess } from '../support/server-process.js';

/**
 * The story of issue 24, through a real server and its real files: a webview with metadata, completed
 * with an email, a webhook whose URL carries a token, a secret rotation, updates. Then every byte of every
 * file under DATA_DIR (and a pg_dump) is searched for those values, in clear and in base64.
 */
const EMAIL = 'jane.doe.pii@example.com';
const WEBVIEW_VALUE = 'VERY-SECRET-TENANT-42';
const ACCOUNT_VALUE = 'ACCOUNT-ONLY-PLAN-77';
const URL_TOKEN = 'URLTOKEN123';
const OTHER_EMAIL = 'other.person@example.com';
const OTHER_VALUE = 'OTHER-ACCOUNT-VALUE-9';

const run = promisify(execFile);

/** A value as it could be found: as is, and in base64 or base64url at each of the three alignments. */
function shapesOf(value: string): string[] {
  const shapes = [value];
  for (let shift = 0; shift < 3; shift++) {
    const padded = Buffer.from('x'.repeat(shift) + value);
    for (const encoding of ['base64', 'base64url'] as const) {
      // The characters that depend only on the value (not on its neighbours in a longer encoding).
      const encoded = padded.toString(encoding).replace(/=+$/, '');
      shapes.push(encoded.slice(Math.ceil((shift * 4) / 3) + 1, -2));
    }
  }
  return shapes;
}

/** Which of `values` appear, in any shape, in the file's bytes. */
function foundIn(bytes: Buffer, values: string[]): string[] {
  const text = bytes.toString('latin1');
  return values.filter((value) => shapesOf(value).some((shape) => text.includes(shape)));
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** `{ file: [values found] }` for every file of the data directory where one is found. */
function scanDataDir(dir: string, values: string[]): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  for (const path of filesUnder(dir)) {
    const hits = foundIn(readFileSync(path), values);
    if (hits.length > 0) found[path.slice(dir.length + 1)] = hits;
  }
  return found;
}

const isLogFile = (name: string) => /^events\.db/.test(name);

async function untilClean(scan: () => Record<string, string[]> | Promise<Record<string, string[]>>) {
  // The read models are scrubbed right after the erasure's batch: at most a checkpoint away.
  const deadline = Date.now() + 5_000;
  let found = await scan();
  while (Object.keys(found).length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    found = await scan();
  }
  return found;
}

interface Story {
  workspaceId: string;
  accountId: string;
  otherAccountId: string;
  deviceIds: string[];
  secrets: string[];
  authToken: string;
}

async function tellTheStory(server: ServerProcess): Promise<Story> {
  const call = async (path: string, body: unknown, headers?: Record<string, string>) => {
    const { status, body: answer } = await server.post(path, body, { ...server.auth(), ...headers });
    expect([path, status]).toEqual([path, 200]);
    return answer;
  };
  const connect = async (email: string, metadata: Record<string, string>) => {
    const { connect_webview } = await call('/connect_webviews/create', { custom_metadata: metadata });
    const completed = await call('/connect_webviews/simulate/complete', {
      connect_webview_id: connect_webview.connect_webview_id,
      email,
    });
    return { webview: connect_webview, accountId: completed.connect_webview.connected_account_id as string };
  };
  const first = await connect(EMAIL, { internal_account_id: WEBVIEW_VALUE });
  const other = await connect(OTHER_EMAIL, { internal_account_id: 'other-tenant' });
  await call('/connected_accounts/update', {
    connected_account_id: first.accountId,
    custom_metadata: { internal_account_id: WEBVIEW_VALUE, plan: ACCOUNT_VALUE },
  });
  await call('/connected_accounts/update', {
    connected_account_id: other.accountId,
    custom_metadata: { internal_account_id: OTHER_VALUE },
  });
  const { devices } = await call('/devices/list', { connected_account_id: first.accountId });
  // An idempotent create: its saved answer holds the secret too.
  const { webhook } = await call(
    '/webhooks/create',
    { url: `http://127.0.0.1:9/hook?token=${URL_TOKEN}` },
    { 'idempotency-key': 'story-webhook' },
  );
  const rotated = await call('/webhooks/rotate_secret', { webhook_id: webhook.webhook_id });
  return {
    workspaceId: first.webview.workspace_id,
    accountId: first.accountId,
    otherAccountId: other.accountId,
    deviceIds: devices.map((d: { device_id: string }) => d.device_id),
    secrets: [webhook.secret, rotated.webhook.secret],
    authToken: new URL(first.webview.url).searchParams.get('auth_token')!,
  };
}

describe('encryption at rest and erasure, on SQLite', () => {
  const server = new ServerProcess(undefined, { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' });
  let story: Story;
  beforeAll(async () => {
    await server.start();
    story = await tellTheStory(server);
  });
  afterAll(() => server.stop());

  it('keeps no email, secret, URL token or metadata value in the log, in clear or base64', () => {
    const found = scanDataDir(server.dataDir, [EMAIL, WEBVIEW_VALUE, ACCOUNT_VALUE, URL_TOKEN, ...story.secrets]);
    const inLog = Object.entries(found).filter(([file]) => isLogFile(file));
    expect(inLog).toEqual([]);
    // The webview's token is nowhere in clear, and the idempotent create kept no answer beside the log.
    expect(existsSync(join(server.dataDir, 'idempotency.db'))).toBe(false);
    expect(scanDataDir(server.dataDir, [story.authToken])).toEqual({});
    // The values are there, where serving needs them: the read models.
    const inReadModels = Object.entries(found).flatMap(([file, hits]) => (file.startsWith('read-models') ? hits : []));
    expect(inReadModels).toEqual(expect.arrayContaining([EMAIL, ACCOUNT_VALUE, ...story.secrets]));
  });

  it('still answers the secret and signs: only storage changed', async () => {
    const { webhooks } = (await server.post('/webhooks/list', {})).body;
    const { body } = await server.post('/webhooks/get', { webhook_id: webhooks[0].webhook_id });
    expect(body.webhook.secret).toBe(story.secrets[1]);
  });

  it('deletes an account: gone from every answer, and its email and metadata from every file', async () => {
    const keyStore = openSqlite(join(server.dataDir, 'keys.db'), { readonly: true });
    const wrapped = keyStore
      .prepare('SELECT wrapped FROM data_keys WHERE key_id = ? OR owner_id = ?')
      .all(`connected_account:${story.accountId}`, `connected_account:${story.accountId}`) as { wrapped: string }[];
    keyStore.close();
    expect(wrapped.length).toBe(1 + story.deviceIds.length);
    const before = (await server.post('/connected_accounts/get', { connected_account_id: story.otherAccountId })).body;

    const deleted = await server.post('/connected_accounts/delete', { connected_account_id: story.accountId });
    expect([deleted.status, deleted.body]).toEqual([200, { ok: true }]);

    expect((await server.post('/connected_accounts/get', { connected_account_id: story.accountId })).status).toBe(404);
    expect((await server.post('/connected_accounts/list', {})).body.connected_accounts).toHaveLength(1);
    for (const deviceId of story.deviceIds) {
      expect((await server.post('/devices/get', { device_id: deviceId })).status).toBe(404);
    }
    const history = await server.post('/connected_accounts/custom_metadata_history', {
      connected_account_id: story.accountId,
    });
    expect(history.body).toMatchObject({ custom_metadata_history: [], erased_at: expect.any(String) });
    const asOf = await server.post('/connected_accounts/get', {
      connected_account_id: story.accountId,
      as_of: new Date().toISOString(),
    });
    expect(asOf.status).toBe(404);
    const events = (await server.post('/events/list', { since: '2000-01-01T00:00:00Z' })).body.events as {
      event_type: string;
      connected_account_id?: string;
    }[];
    expect(
      events
        .filter((e) => e.connected_account_id === story.accountId)
        .map((e) => e.event_type)
        .sort(),
    ).toEqual(['connected_account.deleted', ...story.deviceIds.map(() => 'device.deleted')]);

    const values = [EMAIL, ACCOUNT_VALUE, ...wrapped.map((w) => w.wrapped)];
    expect(await untilClean(() => scanDataDir(server.dataDir, values))).toEqual({});
    // The other account reads the same; a second delete is a 404.
    expect((await server.post('/connected_accounts/get', { connected_account_id: story.otherAccountId })).body).toEqual(
      before,
    );
    expect((await server.post('/connected_accounts/delete', { connected_account_id: story.accountId })).status).toBe(
      404,
    );
  });

  it('erases a workspace: none of its values anywhere, its keys 401, another workspace untouched', async () => {
    const another = lastJsonLine((await runCli(server.dataDir, ['workspace', 'create', '--name', 'Kept'])).stdout);
    // A key created by the CLI is accepted once the server's projector has read it.
    let kept = await server.post('/connect_webviews/list', {}, server.auth(another.api_key));
    for (let i = 0; i < 50 && kept.status === 401; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      kept = await server.post('/connect_webviews/list', {}, server.auth(another.api_key));
    }
    kept = await server.post(
      '/connect_webviews/create',
      { custom_metadata: { tenant: 'KEPT-WORKSPACE-VALUE' } },
      server.auth(another.api_key),
    );
    expect(kept.status).toBe(200);

    const erased = await runCli(server.dataDir, ['workspace', 'erase', '--workspace-id', story.workspaceId]);
    expect([erased.code, erased.stderr]).toEqual([0, '']);
    expect(lastJsonLine(erased.stdout)).toMatchObject({ workspace_id: story.workspaceId });

    for (let i = 0; i < 50 && (await server.post('/connected_accounts/list', {})).status !== 401; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await server.post('/connected_accounts/list', {})).status).toBe(401);
    const values = [WEBVIEW_VALUE, OTHER_EMAIL, OTHER_VALUE, URL_TOKEN, ...story.secrets];
    expect(await untilClean(() => scanDataDir(server.dataDir, values))).toEqual({});

    const stillThere = await server.post(
      '/connect_webviews/get',
      { connect_webview_id: kept.body.connect_webview.connect_webview_id },
      server.auth(another.api_key),
    );
    expect(stillThere.body.connect_webview.custom_metadata).toEqual({ tenant: 'KEPT-WORKSPACE-VALUE' });
    const verify = await runCli(server.dataDir, ['replay', '--verify']);
    expect([verify.code, verify.stdout]).toEqual([
      0,
      expect.stringContaining('the rebuilt read models equal the live ones'),
    ]);
  });
});

const postgres = await postgresForTests('the encryption-at-rest suite on PostgreSQL');
if ('skip' in postgres) {
  describe.skip('encryption at rest, on PostgreSQL', () => {
    it(`skipped: ${postgres.skip}`, () => undefined);
  });
} else {
  describe('encryption at rest, on PostgreSQL', () => {
    let url: string;
    let server: ServerProcess;
    beforeAll(async () => {
      url = await postgres.createDatabase();
      server = new ServerProcess(undefined, {
        EVENT_STORE: 'postgres',
        DATABASE_URL: url,
        WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      });
      await server.start();
    });
    afterAll(async () => {
      await server.stop();
      await postgres.stop();
    });

    const pgDump = async () => {
      const bin = (await run('bash', ['-c', 'ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1'])).stdout.trim();
      return Buffer.from((await run(`${bin}/pg_dump`, [url], { maxBuffer: 1 << 28 })).stdout, 'latin1');
    };

    it('stores ciphertext in the events table, keys in a table of their own, and erases for real', async () => {
      const story = await tellTheStory(server);
      const dump = await pgDump();
      expect(dump.toString('latin1')).toContain('cms_data_keys');
      // The database holds the log and the key store, not the read models: nothing of the story in clear.
      expect(foundIn(dump, [EMAIL, WEBVIEW_VALUE, ACCOUNT_VALUE, URL_TOKEN, ...story.secrets])).toEqual([]);
      expect(
        Object.entries(scanDataDir(server.dataDir, [EMAIL, WEBVIEW_VALUE, URL_TOKEN, ...story.secrets])).filter(
          ([file]) => !file.startsWith('read-models'),
        ),
      ).toEqual([]);

      expect((await server.post('/connected_accounts/delete', { connected_account_id: story.accountId })).status).toBe(
        200,
      );
      expect(await untilClean(() => scanDataDir(server.dataDir, [EMAIL, ACCOUNT_VALUE]))).toEqual({});
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const kept = await client.query<{ key_id: string }>('SELECT key_id FROM cms_data_keys');
        const keyIds = kept.rows.map((row) => row.key_id);
        expect(keyIds).not.toContain(`connected_account:${story.accountId}`);
        expect(keyIds).toContain(`connected_account:${story.otherAccountId}`);
      } finally {
        await client.end();
      }
    });
  });
}
