import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer } from 'node:net';
import { sandboxClient } from '../support/sandbox.js';
import { lastJsonLine, runCli, ServerProcess } from '../support/server-process.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

// Webhooks are bounded: a cap per workspace, targets on the allowed ports only, and failures told as classes.
describe('webhooks bounded', () => {
  const server = new ServerProcess(undefined, {
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    WEBHOOK_ALLOWED_PORTS: '80,443,8080,8443',
    WEBHOOKS_PER_WORKSPACE: '50',
    RATE_LIMIT_PER_KEY: '0',
  });
  beforeAll(() => server.start());
  afterAll(() => server.stop());

  it('creates the first 50 webhooks of a workspace and refuses the other 450 with 400, even when sent at once', async () => {
    const statuses: number[] = [];
    const messages = new Set<string>();
    // Ten at a time: concurrent creates must not pass the cap together.
    for (let batch = 0; batch < 50; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => server.post('/webhooks/create', { url: 'http://127.0.0.1:8080/hook' })),
      );
      for (const answer of answers) {
        statuses.push(answer.status);
        if (answer.status !== 200) messages.add(`${answer.body.error.type}: ${answer.body.error.message}`);
      }
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(50);
    expect(statuses.filter((s) => s === 400)).toHaveLength(450);
    expect([...messages]).toEqual([
      'invalid_input: This workspace already has 50 webhooks, the most it may have (WEBHOOKS_PER_WORKSPACE): delete one first for "url"',
    ]);
    expect((await server.post('/webhooks/list')).body.webhooks).toHaveLength(50);
    // Deleting one makes room for one.
    const [first] = (await server.post('/webhooks/list')).body.webhooks;
    expect((await server.post('/webhooks/delete', { webhook_id: first.webhook_id })).status).toBe(200);
    expect((await server.post('/webhooks/create', { url: 'http://127.0.0.1:8080/hook' })).status).toBe(200);
    expect((await server.post('/webhooks/create', { url: 'http://127.0.0.1:8080/hook' })).status).toBe(400);
  }, 120_000);

  it('refuses a target on a port outside WEBHOOK_ALLOWED_PORTS, on create and on update', async () => {
    const refused = await server.post('/webhooks/create', { url: 'http://127.0.0.1:25/hook' });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/port 25 is not one webhooks may use \(80, 443, 8080, 8443\)/);
    const [webhook] = (await server.post('/webhooks/list')).body.webhooks;
    const update = await server.post('/webhooks/update', {
      webhook_id: webhook.webhook_id,
      url: 'http://127.0.0.1:6379/',
    });
    expect(update.status).toBe(400);
  });
});

describe('webhook failures as classes', () => {
  const server = new ServerProcess(undefined, {
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    WEBHOOK_RETRY_SCHEDULE_MS: '60000',
  });
  beforeAll(() => server.start());
  afterAll(() => server.stop());

  it('shows connection_refused, not the raw connection error, when nothing listens', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const webhook = (await server.post('/webhooks/create', { url: `http://127.0.0.1:${closedPort}/hook` })).body
      .webhook;
    const webview = (await server.post('/connect_webviews/create', {})).body.connect_webview;
    expect((await sandboxClient(server).completeWebview(webview.connect_webview_id, 'x@example.com')).status).toBe(200);
    let failure: { status: number | null; message: string } | null = null;
    for (let i = 0; i < 100 && !failure; i++) {
      failure = (await server.post('/webhooks/get', { webhook_id: webhook.webhook_id })).body.webhook.delivery
        .last_failure;
      if (!failure) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(failure).toMatchObject({ status: null, message: 'connection_refused' });
    expect(server.output).not.toContain('ECONNREFUSED');
  });
});

describe('webhook delivery shared fairly between workspaces', () => {
  const server = new ServerProcess(undefined, {
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    WEBHOOK_DELIVERY_CONCURRENCY: '4',
    WEBHOOK_TIMEOUT_MS: '60000',
  });
  const stuck = new WebhookReceiver();
  const healthy = new WebhookReceiver();
  beforeAll(async () => {
    await Promise.all([server.start(), stuck.start(), healthy.start()]);
    stuck.respond = () => 'hang'; // holds every delivery it gets until the test ends
  });
  afterAll(async () => {
    await Promise.all([stuck.stop(), healthy.stop()]);
    await server.stop();
  });

  it("delivers one workspace's events while another's receivers hold every delivery they get", async () => {
    // Workspace A: ten webhooks to a receiver that never answers. With a pool of 4, a workspace may hold 1.
    for (let i = 0; i < 10; i++) expect((await server.post('/webhooks/create', { url: stuck.url })).status).toBe(200);
    const webviewA = (await server.post('/connect_webviews/create', {})).body.connect_webview;
    expect((await sandboxClient(server).completeWebview(webviewA.connect_webview_id, 'a@example.com')).status).toBe(
      200,
    );
    await stuck.until(() => stuck.attempts.length >= 1);

    // Workspace B, made with the CLI: one webhook to a receiver that answers.
    const b = lastJsonLine((await runCli(server.dataDir, ['workspace', 'create', '--name', 'B'])).stdout).api_key;
    for (let i = 0; i < 40 && (await server.post('/webhooks/list', {}, server.auth(b))).status !== 200; i++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await server.post('/webhooks/create', { url: healthy.url }, server.auth(b))).status).toBe(200);
    const webviewB = (await server.post('/connect_webviews/create', {}, server.auth(b))).body.connect_webview;
    expect((await sandboxClient(server, b).completeWebview(webviewB.connect_webview_id, 'b@example.com')).status).toBe(
      200,
    );
    await healthy.until(() => healthy.received.length > 0);
    // Workspace A never had more than its share of the pool.
    expect(stuck.attempts.length).toBe(1);
  });
});
