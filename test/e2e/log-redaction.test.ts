import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { lastJsonLine, runCli, ServerProcess } from '../support/server-process.js';

// Every place a secret passes through a request, at the most verbose log level: none reaches the log.
// (Every other e2e server's output is checked too, when it stops: test/support/server-process.ts.)
describe('structured logs without secrets', () => {
  const server = new ServerProcess(undefined, { LOG_LEVEL: 'trace', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' });
  beforeAll(() => server.start());
  afterAll(() => server.stop());

  it('writes one JSON line per request with its id, workspace, route template, status and duration, and no secret', async () => {
    const password = 'correct-horse-battery-staple-9134';
    const cliKey = lastJsonLine(
      (await runCli(server.dataDir, ['api-key', 'create', '--workspace-id', await workspaceId()])).stdout,
    ).api_key;
    server.knownSecrets.add(cliKey);
    server.knownSecrets.add(password);
    const webhook = (await server.post('/webhooks/create', { url: 'http://127.0.0.1:9/hook' })).body.webhook;
    await server.post('/webhooks/rotate_secret', { webhook_id: webhook.webhook_id });
    const webview = (await server.post('/connect_webviews/create', {})).body.connect_webview;
    const authToken = new URL(webview.url).searchParams.get('auth_token')!;
    // The end user's page, with its token in the query; then a wrong and a right password.
    expect((await fetch(webview.url)).status).toBe(200);
    const login = (pw: string) =>
      server.post(
        '/connect_webviews/view/complete',
        {
          connect_webview_id: webview.connect_webview_id,
          auth_token: authToken,
          email: 'user@example.com',
          password: pw,
        },
        {},
      );
    expect((await login(password)).status).toBe(400);
    expect((await login('1234')).status).toBe(200);
    // A key that does not exist, a malformed header, the CLI's key, and the key in a query string.
    const bogus = `seam_deadbeef_${'x'.repeat(32)}`;
    server.knownSecrets.add(bogus);
    expect((await server.post('/devices/list', {}, { authorization: `Bearer ${bogus}` })).status).toBe(401);
    expect((await server.post('/devices/list', {}, { authorization: `Basic ${bogus}` })).status).toBe(401);
    expect((await server.post('/devices/list', {}, server.auth(cliKey))).status).toBe(200);
    await fetch(`${server.url}/devices/list?api_key=${bogus}&auth_token=${authToken}`, { headers: server.auth() });

    // A request's line reaches this process through the server's stdout after its answer: wait for the ten.
    const requestLines = () => server.output.split('\n').filter((line) => line.includes('"msg":"request"')).length;
    for (let i = 0; i < 100 && requestLines() < 10; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    const lines = server.output.split('\n').filter((line) => line.trim() !== '');
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>); // every line is JSON
    const requests = records.filter((r) => r.msg === 'request');
    expect(requests.length).toBeGreaterThanOrEqual(10);
    expect(requestLines()).toBe(requests.length); // the wait above counted what it waited for
    expect(requests.find((r) => r.route === '/connect_webviews/create')).toMatchObject({
      request_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      workspace_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      method: 'POST',
      status: 200,
      duration_ms: expect.any(Number),
    });
    expect(requests.filter((r) => r.status === 401).every((r) => r.workspace_id === null)).toBe(true);
    expect(server.secretsInOutput()).toEqual([]);
    expect(server.knownSecrets.size).toBeGreaterThanOrEqual(6); // key, CLI key, 2 webhook secrets, token, password…
  });

  /** The sandbox workspace, from the line the first start logged. */
  async function workspaceId(): Promise<string> {
    return /sandbox workspace (\S+) was created/.exec(server.output)![1];
  }
});

describe('LOG_FORMAT=pretty', () => {
  const server = new ServerProcess(undefined, { LOG_FORMAT: 'pretty' });
  afterAll(() => server.stop());

  it('writes readable lines for a terminal instead of JSON, with the same request line', async () => {
    await server.start();
    expect((await server.post('/devices/list', {})).status).toBe(200);
    for (let i = 0; i < 50 && !server.output.includes('route: "/devices/list"'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50)); // pino-pretty writes from a worker thread
    }
    const lines = server.output.split('\n').filter((line) => line.trim() !== '');
    expect(lines.some((line) => line.trim().startsWith('{'))).toBe(false);
    expect(server.output).toMatch(/INFO.*request/);
    expect(server.output).toMatch(/route: "\/devices\/list"/);
  });
});
