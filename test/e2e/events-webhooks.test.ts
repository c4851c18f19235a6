import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SeamHttp } from '@seamapi/http/connect';
import { SeamWebhook } from '@seamapi/webhook';
import { sandboxClient } from '../support/sandbox.js';
import { ServerProcess } from '../support/server-process.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

const env = {
  WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
  WEBHOOK_RETRY_SCHEDULE_MS: '100,200,400,800,1600,3200,6400,12800',
  WEBHOOK_TIMEOUT_MS: '30000',
};

describe('event subscribers: /events/list, signed webhooks, the live stream', () => {
  const server = new ServerProcess(undefined, env);
  let seam: SeamHttp;
  let sandbox: ReturnType<typeof sandboxClient>;
  const receivers: WebhookReceiver[] = [];

  const call = (path: string, body: unknown) => server.post(path, body);
  const receiver = async () => {
    const r = await new WebhookReceiver().start();
    receivers.push(r);
    return r;
  };
  const createWebhook = async (url: string, event_types?: string[]) =>
    (await call('/webhooks/create', { url, event_types })).body.webhook;
  /** A webview completed: a handful of events (metadata changed, account created, devices added, connected, login). */
  const completeStory = async (email: string, custom_metadata = { id: email }) => {
    const webview = await seam.connectWebviews.create({ custom_metadata });
    const done = await sandbox.completeWebview(webview.connect_webview_id, email);
    return {
      webviewId: webview.connect_webview_id,
      accountId: done.body.connect_webview.connected_account_id as string,
    };
  };

  beforeAll(async () => {
    await server.start();
    seam = new SeamHttp({ apiKey: server.sandboxApiKey!, endpoint: server.url });
    sandbox = sandboxClient(server);
  });
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.stop()));
    await server.stop();
  });

  it('lists login_succeeded with the metadata as it was then, even after the account changed', async () => {
    const since = new Date().toISOString();
    const { webviewId, accountId } = await completeStory('events@example.com', { id: 'internal_id_1' });
    await seam.connectedAccounts.update({ connected_account_id: accountId, custom_metadata: { id: 'changed' } });

    const { body } = await call('/events/list', {
      since,
      connect_webview_id: webviewId,
      event_type: 'connect_webview.login_succeeded',
    });
    expect(body.events).toHaveLength(1);
    const [succeeded] = body.events;
    expect(succeeded).toMatchObject({
      event_type: 'connect_webview.login_succeeded',
      connect_webview_id: webviewId,
      connected_account_id: accountId,
      connected_account_custom_metadata: { id: 'internal_id_1' },
      workspace_id: expect.any(String),
    });
    expect((await call('/events/get', { event_id: succeeded.event_id })).body.event).toEqual(succeeded);

    const all = (await call('/events/list', { since, connected_account_id: accountId })).body.events.map(
      (e: any) => e.event_type,
    );
    // The extension types are opt-in: absent unless asked for by name.
    expect(all).toEqual([
      'connected_account.created',
      'device.added',
      'device.added',
      'connected_account.connected',
      'connect_webview.login_succeeded',
    ]);
    const withExtensions = (
      await call('/events/list', {
        since,
        connected_account_id: accountId,
        event_types: [...all, 'connected_account.custom_metadata_changed'],
      })
    ).body.events.map((e: any) => e.event_type);
    expect(withExtensions).toEqual([
      'connected_account.created',
      'connected_account.custom_metadata_changed',
      'device.added',
      'device.added',
      'connected_account.connected',
      'connect_webview.login_succeeded',
      'connected_account.custom_metadata_changed',
    ]);
    const changed = (
      await call('/events/list', {
        since,
        connected_account_id: accountId,
        event_types: ['connected_account.custom_metadata_changed'],
      })
    ).body.events;
    expect(changed[1]).toMatchObject({
      custom_metadata: { id: 'changed' },
      previous_custom_metadata: { id: 'internal_id_1' },
      changes: { added: {}, removed: {}, changed: { id: { from: 'internal_id_1', to: 'changed' } } },
      cause: { type: 'api_update' },
      actor: { type: 'api_key', api_key_id: expect.any(String) },
    });
    // Stable ids: asking again gives the same events.
    expect(
      (await call('/events/list', { since, connected_account_id: accountId })).body.events.map((e: any) => e.event_id),
    ).toEqual(
      (await call('/events/list', { since, connected_account_id: accountId })).body.events.map((e: any) => e.event_id),
    );
  });

  it('requires since or between, and honours between', async () => {
    expect((await call('/events/list', {})).body.error.type).toBe('invalid_input');
    const { body } = await call('/events/list', { between: ['2000-01-01T00:00:00Z', '2000-01-02T00:00:00Z'] });
    expect(body.events).toEqual([]);
  });

  it('signs every delivery so that @seamapi/webhook verifies it', async () => {
    const hook = await receiver();
    const webhook = await createWebhook(hook.url);
    expect(webhook.secret).toMatch(/^whsec_/);
    await completeStory('signed@example.com');
    await hook.until(() =>
      hook.received.some((d) => JSON.parse(d.body).event_type === 'connect_webview.login_succeeded'),
    );
    const verifier = new SeamWebhook(webhook.secret);
    for (const delivery of hook.received) {
      const verified = verifier.verify(delivery.body, delivery.headers as Record<string, string>) as {
        event_id: string;
      };
      expect(verified.event_id).toBe(delivery.headers['webhook-id']);
    }
    expect(hook.received.length).toBeGreaterThanOrEqual(5);
    // A webhook that names no type gets Seam's, never an extension type.
    expect(hook.received.map((d) => JSON.parse(d.body).event_type)).not.toContainEqual(
      expect.stringMatching(/custom_metadata_changed$/),
    );
    expect(() =>
      new SeamWebhook(webhook.secret).verify(
        hook.received[0].body.replace('"', ' "'),
        hook.received[0].headers as Record<string, string>,
      ),
    ).toThrow();
  });

  it('rotates a secret: during the grace period every delivery verifies with the old and the new one', async () => {
    const hook = await receiver();
    const webhook = await createWebhook(hook.url, ['connect_webview.login_succeeded']);
    const rotated = await call('/webhooks/rotate_secret', { webhook_id: webhook.webhook_id });
    expect(rotated.status).toBe(200);
    const newSecret = rotated.body.webhook.secret as string;
    expect(newSecret).toMatch(/^whsec_/);
    expect(newSecret).not.toBe(webhook.secret);
    const graceEnds = Date.parse(rotated.body.webhook.previous_secret_valid_until);
    expect(graceEnds - Date.now()).toBeGreaterThan(23 * 3600 * 1000);
    expect((await call('/webhooks/get', { webhook_id: webhook.webhook_id })).body.webhook.secret).toBe(newSecret);

    await completeStory('rotated@example.com');
    await hook.until(() => hook.received.length >= 1);
    const [delivery] = hook.received;
    for (const secret of [webhook.secret, newSecret]) {
      const verified = new SeamWebhook(secret).verify(delivery.body, delivery.headers as Record<string, string>) as {
        event_type: string;
      };
      expect(verified.event_type).toBe('connect_webview.login_succeeded');
    }
    const stranger = 'whsec_' + Buffer.alloc(24, 7).toString('base64');
    expect(() => new SeamWebhook(stranger).verify(delivery.body, delivery.headers as Record<string, string>)).toThrow();
    expect((await call('/webhooks/rotate_secret', { webhook_id: '00000000-0000-4000-8000-000000000000' })).status).toBe(
      404,
    );
  });

  it('delivers later, intact, an event whose receiver failed its first three attempts', async () => {
    const hook = await receiver();
    hook.respond = (attempt) => (attempt <= 3 ? 500 : 200);
    const webhook = await createWebhook(hook.url, ['connected_account.created']);
    const { accountId } = await completeStory('flaky@example.com');
    await hook.until(() => hook.received.length === 1);
    expect(hook.attempts).toHaveLength(4);
    const bodies = new Set(hook.attempts.map((a) => a.body));
    expect(bodies.size).toBe(1);
    const event = JSON.parse(hook.received[0].body);
    expect(event).toMatchObject({ event_type: 'connected_account.created', connected_account_id: accountId });
    new SeamWebhook(webhook.secret).verify(hook.received[0].body, hook.received[0].headers as Record<string, string>);
    const state = (await call('/webhooks/get', { webhook_id: webhook.webhook_id })).body.webhook.delivery;
    expect(state).toMatchObject({
      pending_count: 0,
      last_success_at: expect.any(String),
      last_failure: { status: 500 },
    });
  });

  it('does not let a receiver that never answers delay another webhook', async () => {
    const stuck = await receiver();
    stuck.respond = () => 'hang';
    const healthy = await receiver();
    await createWebhook(stuck.url, ['device.added']);
    await createWebhook(healthy.url, ['device.added']);
    const started = Date.now();
    await completeStory('independent@example.com');
    await healthy.until(() => healthy.received.length === 2, 5000);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(stuck.received).toHaveLength(0);
    expect(stuck.attempts.length).toBe(1);
  });

  it('streams events over SSE; a client reconnecting with Last-Event-ID gets every event exactly once', async () => {
    const since = new Date().toISOString();
    await completeStory('sse-1@example.com');
    const first = await readStream(`${server.url}/events/stream?since=${since}`, server.sandboxApiKey!, 3);
    await completeStory('sse-2@example.com');
    const rest = await readStream(`${server.url}/events/stream`, server.sandboxApiKey!, 7, first[first.length - 1].id);
    const seen = [...first, ...rest].map((e) => e.id);
    const expected = (await call('/events/list', { since })).body.events.map((e: any) => e.event_id);
    expect(expected).toHaveLength(10);
    expect(seen).toEqual(expected);
  });

  // Last: it restarts the server (on another port).
  it('delivers, after a restart, an event that was still pending', async () => {
    const hook = await receiver();
    hook.respond = () => 503;
    const webhook = await createWebhook(hook.url, ['connected_account.created']);
    const { accountId } = await completeStory('restart@example.com');
    await hook.until(() => hook.attempts.length >= 1);
    await server.stop();
    const attemptsWhileDown = hook.attempts.length;
    hook.respond = () => 200;
    await server.start();
    await hook.until(() => hook.received.length === 1);
    expect(hook.attempts.length).toBeGreaterThan(attemptsWhileDown);
    const event = new SeamWebhook(webhook.secret).verify(
      hook.received[0].body,
      hook.received[0].headers as Record<string, string>,
    );
    expect(event).toMatchObject({ event_type: 'connected_account.created', connected_account_id: accountId });
  });
});

/** Reads `count` SSE events, then disconnects. */
async function readStream(
  url: string,
  apiKey: string,
  count: number,
  lastEventId?: string,
): Promise<{ id: string; data: any }[]> {
  const abort = new AbortController();
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${apiKey}`, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
    signal: abort.signal,
  });
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  const events: { id: string; data: any }[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  const timeout = setTimeout(() => abort.abort(), 10_000);
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const id = /^id: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (id && data) events.push({ id, data: JSON.parse(data) });
      }
      if (events.length >= count) break;
    }
  } finally {
    clearTimeout(timeout);
    abort.abort();
  }
  return events.slice(0, count);
}
