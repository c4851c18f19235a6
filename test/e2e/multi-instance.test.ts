import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sandboxClient } from '../support/sandbox.js';
import { lastJsonLine, runCli, ServerProcess } from '../support/server-process.js';
import { PostgresEventStore } from '../../src/event-store/postgres-event-store.js';
import { postgresForTests } from '../support/postgres.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import { postFrom } from '../support/post-from.js';

// Two service processes, each with its own DATA_DIR (read models), on one PostgreSQL log.
const postgres = await postgresForTests('the multi-instance tests');
const LEASE_CHECK_MS = 250;

(('skip' in postgres ? describe.skip : describe) as typeof describe)('two instances on one PostgreSQL log', () => {
  const hook = new WebhookReceiver();
  let a: ServerProcess;
  let b: ServerProcess;
  let env: Record<string, string>;
  const since = new Date(Date.now() - 60_000).toISOString();

  beforeAll(async () => {
    if ('skip' in postgres) return;
    env = {
      EVENT_STORE: 'postgres',
      DATABASE_URL: await postgres.createDatabase(),
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      WEBHOOK_LEASE_CHECK_MS: String(LEASE_CHECK_MS),
      // Instances that share a key store share its master key.
      MASTER_KEY: randomBytes(32).toString('base64'),
    };
    a = new ServerProcess(undefined, env);
    b = new ServerProcess(undefined, env);
    await a.start();
    b.sandboxApiKey = a.sandboxApiKey;
    await b.start();
    await hook.start();
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop(), hook.stop()]);
    if (!('skip' in postgres)) await postgres.stop();
  });

  it('sets the log up once: the second instance finds it and prints no second sandbox key', () => {
    expect(a.output).toMatch(/sandbox workspace \S+ was created/);
    expect(b.output).not.toMatch(/sandbox workspace \S+ was created/);
  });

  it('reads on B a write made on A, given the position header A answered', async () => {
    const created = await a.post('/connect_webviews/create', { custom_metadata: { internal_account_id: 'user-1' } });
    const position = created.headers.get('seam-log-position');
    expect(Number(position)).toBeGreaterThan(0);
    const webviewId = created.body.connect_webview.connect_webview_id;
    const read = await b.post(
      '/connect_webviews/get',
      { connect_webview_id: webviewId },
      {
        ...b.auth(),
        'seam-log-position': position!,
      },
    );
    expect(read.status).toBe(200);
    expect(read.body.connect_webview.custom_metadata).toEqual({ internal_account_id: 'user-1' });

    const pastTheHead = await b.post('/connect_webviews/list', {}, { ...b.auth(), 'seam-log-position': '999999999' });
    expect(pastTheHead.status).toBe(400);
    expect(pastTheHead.body.error.type).toBe('invalid_input');
    expect(pastTheHead.body.error.message).not.toMatch(/\d/); // the head would count every tenant's events
    const notANumber = await b.post('/connect_webviews/list', {}, { ...b.auth(), 'seam-log-position': 'soon' });
    expect(notANumber.status).toBe(400);
  });

  it('shows on B the account and devices of a webview completed through A, made once though both run the saga', async () => {
    const webview = (await a.post('/connect_webviews/create', { custom_metadata: { internal_account_id: 'user-2' } }))
      .body.connect_webview;
    const completed = await fetch(`${a.url}/connect_webviews/simulate/complete`, {
      method: 'POST',
      headers: { ...a.auth(), 'content-type': 'application/json' },
      body: JSON.stringify({ connect_webview_id: webview.connect_webview_id, email: 'two@example.com' }),
    });
    expect(completed.status).toBe(200);
    const position = completed.headers.get('seam-log-position')!;
    expect(Number(position)).toBeGreaterThan(0);
    const withPosition = { ...b.auth(), 'seam-log-position': position };
    const accounts = (
      await b.post('/connected_accounts/list', { custom_metadata_has: { internal_account_id: 'user-2' } }, withPosition)
    ).body.connected_accounts;
    expect(accounts).toHaveLength(1);
    expect(accounts[0].custom_metadata).toEqual({ internal_account_id: 'user-2' });
    const devices = (
      await b.post('/devices/list', { connected_account_id: accounts[0].connected_account_id }, withPosition)
    ).body.devices;
    expect(devices.length).toBeGreaterThan(0);
    // A moment later, with both sagas long past it, still one account and the same devices.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    for (const server of [a, b]) {
      const listed = (
        await server.post('/connected_accounts/list', { custom_metadata_has: { internal_account_id: 'user-2' } })
      ).body.connected_accounts;
      expect(listed).toHaveLength(1);
      expect(
        (await server.post('/devices/list', { connected_account_id: accounts[0].connected_account_id })).body.devices,
      ).toHaveLength(devices.length);
    }
  });

  it('bounds failed logins per webview across both instances and six addresses: 10 recorded, the other 50 get 429', async () => {
    const webview = (await a.post('/connect_webviews/create', {})).body.connect_webview;
    const authToken = new URL(webview.url as string).searchParams.get('auth_token');
    const since = new Date(Date.now() - 1000).toISOString();
    const statuses: number[] = [];
    // Six at a time, one from each address, alternating between the two instances.
    for (let round = 0; round < 10; round++) {
      const answers = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          postFrom(`127.0.0.${i + 1}`, `${(i % 2 === 0 ? a : b).url}/connect_webviews/view/complete`, {
            connect_webview_id: webview.connect_webview_id,
            auth_token: authToken,
            email: 'guess@example.com',
            password: `guess-${round}-${i}`,
          }),
        ),
      );
      statuses.push(...answers.map((answer) => answer.status));
    }
    expect(statuses.filter((s) => s === 400)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(50);
    const failures = await a.post('/events/list', { since, event_type: 'connect_webview.login_failed' });
    expect(failures.body.events.filter((e: any) => e.connect_webview_id === webview.connect_webview_id)).toHaveLength(
      10,
    );
  });

  it('makes one webview of one Idempotency-Key sent to A and to B, in turn and at once, and gives each the same answer, after a restart too', async () => {
    const send = async (server: ServerProcess, key: string, body: unknown) =>
      noted(await server.post('/connect_webviews/create', body, { ...server.auth(), 'idempotency-key': key }));
    // Counted on A once it has read everything both answered (read-your-writes), whoever created it.
    let seen = 0;
    const webviewsWith = async (n: string) =>
      (
        await a.post(
          '/connect_webviews/list',
          { custom_metadata_has: { n } },
          { ...a.auth(), 'seam-log-position': String(seen) },
        )
      ).body.connect_webviews.length;
    const noted = <T extends { headers: Headers }>(response: T) => {
      seen = Math.max(seen, Number(response.headers.get('seam-log-position') ?? 0));
      return response;
    };
    // Without PUBLIC_URL each instance hands out links to its own address: the answers agree on the rest.
    const answer = ({ body }: { body: any }) => ({
      ...body,
      connect_webview: { ...body.connect_webview, url: new URL(body.connect_webview.url).search },
    });
    const body = { custom_metadata: { n: 'idem-1', plan: 'pro' } };

    const first = await send(a, 'idem-1', body);
    const onB = await send(b, 'idem-1', { custom_metadata: { plan: 'pro', n: 'idem-1' } }); // keys in another order
    const body2 = { custom_metadata: { n: 'idem-2' } };
    const atOnce = await Promise.all([send(a, 'idem-2', body2), send(b, 'idem-2', body2)]);
    expect(first.status).toBe(200);
    expect(onB.status).toBe(200);
    expect(answer(onB)).toEqual(answer(first));
    expect(onB.headers.get('idempotent-replayed')).toBe('true');
    expect(atOnce.map((r) => r.status)).toEqual([200, 200]);
    expect(answer(atOnce[1]!)).toEqual(answer(atOnce[0]!));
    expect(atOnce.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(1);
    expect(atOnce[0]!.body.connect_webview.connect_webview_id).not.toBe(first.body.connect_webview.connect_webview_id);

    const otherBody = await send(b, 'idem-1', { custom_metadata: { n: 'idem-1', plan: 'free' } });
    expect(otherBody).toMatchObject({ status: 422, body: { ok: false, error: { type: 'idempotency_key_reused' } } });

    // The one that does not deliver webhooks restarts, so that the lease stays where the next test finds it.
    const restarted = /now delivers webhooks/.test(a.output) ? b : a;
    await restarted.stop();
    await restarted.start();
    const afterRestart = await send(restarted, 'idem-1', body);
    expect(afterRestart.status).toBe(200);
    expect(answer(afterRestart)).toEqual(answer(first));
    expect(await webviewsWith('idem-1')).toBe(1);
    expect(await webviewsWith('idem-2')).toBe(1);
  }, 60_000);

  it('shows the same parked saga events and the same key usage on both instances: one home, in PostgreSQL', async () => {
    const workspaceId = (await a.post('/connect_webviews/create', {})).body.connect_webview.workspace_id as string;
    // A WebviewCompleted for a webview the log has never seen: both sagas refuse it five times and park it.
    const store = new PostgresEventStore(env.DATABASE_URL);
    const poison = randomUUID();
    const poisonEventId = randomUUID();
    await store.append(
      `connect_webview-${poison}`,
      [
        {
          id: poisonEventId,
          type: 'WebviewCompleted',
          data: {
            connect_webview_id: poison,
            workspace_id: workspaceId,
            provider: 'august',
            email: 'poison@example.com',
            connected_account_id: randomUUID(),
            completed_at: new Date().toISOString(),
          },
          metadata: { schema_version: 1, actor: { type: 'system' } },
        },
      ],
      { expectedRevision: 'no_stream' },
    );
    await store.close();
    const parkedOn = async (server: ServerProcess) =>
      ((await (await fetch(server.detailedHealthUrl)).json()) as { parked_saga_events?: number }).parked_saga_events;
    await waitForAsync(async () => (await parkedOn(a)) === 1 && (await parkedOn(b)) === 1, 20_000);
    for (const server of [a, b]) {
      const listed = lastJsonLine((await runCli(server.dataDir, ['saga', 'parked'], env)).stdout) as unknown as {
        parked_saga_events: { event_id: string }[];
      };
      expect(listed.parked_saga_events.map((e) => e.event_id)).toEqual([poisonEventId]);
    }
    // One row, in the shared database, and no instance keeps a file of its own.
    const shared = new pg.Client({ connectionString: env.DATABASE_URL });
    await shared.connect();
    try {
      const { rows } = await shared.query('SELECT event_id FROM cms_parked_saga_events');
      expect(rows).toEqual([{ event_id: poisonEventId }]);
    } finally {
      await shared.end();
    }
    for (const server of [a, b]) expect(existsSync(join(server.dataDir, 'saga-parked.db'))).toBe(false);

    // The key was used on A (just now) and B: each instance's `api-key list` shows its last use, from one table.
    const lastUse = async (server: ServerProcess) => {
      const listed = await runCli(server.dataDir, ['api-key', 'list', '--workspace-id', workspaceId], env);
      return (lastJsonLine(listed.stdout) as unknown as { api_keys: { last_used_at: string | null }[] }).api_keys[0]
        .last_used_at;
    };
    await waitForAsync(async () => (await lastUse(a)) !== null, 10_000);
    expect(await lastUse(b)).toBe(await lastUse(a));
  }, 60_000);

  it('moves webhook delivery to the other instance within the lease time when the holder is killed, losing no event', async () => {
    const holderOf = () => [a, b].filter((s) => s.running && /now delivers webhooks/.test(s.output));
    expect(holderOf()).toHaveLength(1); // exactly one delivers
    const [holder] = holderOf();
    const survivor = holder === a ? b : a;
    await survivor.post('/webhooks/create', { url: hook.url });

    const completeOne = async (server: ServerProcess, n: number) => {
      const webview = (await server.post('/connect_webviews/create', { custom_metadata: { n: String(n) } })).body
        .connect_webview;
      expect(
        (await sandboxClient(server).completeWebview(webview.connect_webview_id, `u${n}@example.com`)).status,
      ).toBe(200);
    };
    for (let n = 0; n < 6; n++) await completeOne(n % 2 === 0 ? a : b, n);
    await hook.until(() => hook.received.length > 0);

    const killedAt = Date.now();
    await holder.kill9();
    const takeover = await waitFor(() => /now delivers webhooks/.test(survivor.output), 10_000);
    const takeoverMs = takeover - killedAt;
    for (let n = 6; n < 12; n++) await completeOne(survivor, n);

    const expected = (await survivor.post('/events/list', { since, limit: 1000 })).body.events.filter(
      (e: any) => e.created_at >= hookCreatedAfter(hook, since),
    );
    const webhookEvents = new Set<string>();
    await hook.until(() => {
      for (const d of hook.received) webhookEvents.add(JSON.parse(d.body).event_id);
      return expected.every((e: any) => webhookEvents.has(e.event_id));
    }, 20_000);
    const duplicates = hook.received.length - webhookEvents.size;
    console.log(
      `multi-instance: webhook delivery moved ${takeoverMs} ms after kill -9 (lease check every ${LEASE_CHECK_MS} ms); ` +
        `${webhookEvents.size} events delivered at least once, ${duplicates} duplicate deliveries`,
    );
    expect(takeoverMs).toBeLessThan(LEASE_CHECK_MS * 4 + 1000);
    expect(duplicates).toBeLessThanOrEqual(1); // at most the one in flight when the holder died
  }, 90_000);
});

async function waitForAsync(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Date.now();
}

/** Events from the webhook's creation on: the first delivery's event is among them. */
function hookCreatedAfter(hook: WebhookReceiver, fallback: string): string {
  const first = hook.received[0];
  return first ? (JSON.parse(first.body).created_at as string) : fallback;
}
