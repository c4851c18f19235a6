import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SeamHttp } from '@seamapi/http/connect';
import { chromium, type Browser } from 'playwright-core';
import { SqliteEventStore } from '../../src/event-store/sqlite-event-store.js';
import { ServerProcess } from '../support/server-process.js';

// Debian's Chromium (apt-get install chromium; .ci/run installs it). CI must run this suite, never skip it.
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveBrowser = existsSync(executablePath);
if (!haveBrowser && process.env.CI)
  throw new Error(`No Chromium at ${executablePath}: .ci/run installs it with apt-get`);
if (!haveBrowser)
  console.warn(`SKIPPED hosted-page browser tests: no Chromium at ${executablePath} (apt-get install chromium)`);

(haveBrowser ? describe : describe.skip)('the hosted Connect Webview page, in a real browser', () => {
  const server = new ServerProcess();
  let browser: Browser;
  let seam: SeamHttp;

  beforeAll(async () => {
    await server.start();
    seam = new SeamHttp({ apiKey: server.sandboxApiKey!, endpoint: server.url });
    browser = await chromium.launch({
      executablePath,
      headless: true,
      // Without the background-networking flags Chromium keeps dialling out, which this machine refuses.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server.stop();
  });

  it('completes a webview after one wrong password, and the new account inherits its metadata', async () => {
    const webview = await seam.connectWebviews.create({
      custom_metadata: { id: 'internal_id_1' },
      accepted_providers: ['august', 'schlage'],
    });
    const page = await browser.newPage();
    await page.goto(webview.url);
    expect(await page.locator('h1').textContent()).toBe('Connect your account');

    await page.selectOption('#provider', 'schlage');
    await page.fill('#email', 'browser@example.com');
    await page.fill('#password', 'wrong-password');
    await page.click('#submit');
    await expect(page.locator('#message.error').textContent()).resolves.toContain('Wrong email or password');
    expect((await seam.connectWebviews.get({ connect_webview_id: webview.connect_webview_id })).status).toBe('pending');

    await page.fill('#password', '1234');
    await page.click('#submit');
    await page.locator('.message.success').waitFor();
    expect(await page.locator('.message.success').textContent()).toContain('Connected!');

    const completed = await seam.connectWebviews.get({ connect_webview_id: webview.connect_webview_id });
    expect(completed).toMatchObject({ status: 'authorized', selected_provider: 'schlage', login_successful: true });
    const account = await seam.connectedAccounts.get({ connected_account_id: completed.connected_account_id! });
    expect(account.custom_metadata).toEqual({ id: 'internal_id_1' });
    expect(account.account_type).toBe('schlage');

    const store = new SqliteEventStore(join(server.dataDir, 'events.db'));
    const log = await store.readStream(`connect_webview-${webview.connect_webview_id}`);
    await store.close();
    expect(log.map((e) => e.type)).toEqual([
      'ConnectWebviewCreated',
      'MetadataSet',
      'ConnectWebviewLoginFailed',
      'WebviewCompleted',
      'ConnectWebviewAuthorized',
    ]);

    // Opened again, the page says it is done rather than offering the form.
    await page.goto(webview.url);
    expect(await page.locator('h1').textContent()).toBe('Already connected');
    await page.close();
  });

  it('works without JavaScript: the form posts, its password never in a URL, and a wrong one shows the form again', async () => {
    const webview = await seam.connectWebviews.create({ custom_metadata: { id: 'no-js' } });
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    const requests: { method: string; url: string }[] = [];
    page.on('request', (request) => requests.push({ method: request.method(), url: request.url() }));
    await page.goto(webview.url);
    await page.fill('#email', 'nojs@example.com');
    await page.fill('#password', 'wrong-secret-pw');
    const posted = (response: { request(): { method(): string } }) => response.request().method() === 'POST';
    const [refused] = await Promise.all([page.waitForResponse(posted), page.click('#submit')]);
    expect(refused.status()).toBe(400);
    await page.waitForLoadState('load');
    expect(await page.locator('#message.error').textContent()).toContain('Wrong email or password');
    await page.fill('#email', 'nojs@example.com');
    await page.fill('#password', '1234');
    const [accepted] = await Promise.all([page.waitForResponse(posted), page.click('#submit')]);
    expect(accepted.status()).toBe(200);
    await page.waitForLoadState('load');
    expect(await page.locator('h1').textContent()).toBe('Connected');
    const posts = requests.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(2);
    for (const { url } of requests) {
      expect(url).not.toContain('wrong-secret-pw');
      expect(url).not.toContain('password');
    }
    const completed = await seam.connectWebviews.get({ connect_webview_id: webview.connect_webview_id });
    expect(completed.status).toBe('authorized');
    await context.close();
  });

  it('redirects to custom_redirect_url on success', async () => {
    const redirect = `${server.url}/health`;
    const webview = await seam.connectWebviews.create({ custom_redirect_url: redirect });
    const page = await browser.newPage();
    await page.goto(webview.url);
    await page.fill('#email', 'redirect@example.com');
    await page.fill('#password', '1234');
    await Promise.all([page.waitForURL(redirect), page.click('#submit')]);
    expect(await page.textContent('body')).toContain('"ok":true');
    await page.close();
  });

  it('answers 404 with a readable page for an unknown webview', async () => {
    const page = await browser.newPage();
    const response = await page.goto(
      `${server.url}/connect_webviews/view?connect_webview_id=00000000-0000-4000-8000-000000000000`,
    );
    expect(response?.status()).toBe(404);
    expect(await page.locator('h1').textContent()).toBe('Connect Webview not found');
    await page.close();
  });

  it('answers a malformed link with a readable page, not JSON', async () => {
    const page = await browser.newPage();
    const response = await page.goto(`${server.url}/connect_webviews/view?connect_webview_id=not-a-uuid`);
    expect(response?.status()).toBe(400);
    expect(await page.locator('h1').textContent()).toBe('Something went wrong');
    expect(await page.locator('.message.error').textContent()).toMatch(/connect_webview_id/);
    await page.close();
  });

  it('sends the security headers, and a page that frames it gets nothing', async () => {
    const response = await fetch(
      `${server.url}/connect_webviews/view?connect_webview_id=00000000-0000-4000-8000-000000000000`,
    );
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('same-origin');
    expect(response.headers.get('cache-control')).toBe('no-store');

    // A page elsewhere that frames it: Chromium refuses to render the frame (frame-ancestors 'none').
    const page = await browser.newPage();
    await page.setContent(
      `<iframe src="${server.url}/connect_webviews/view?connect_webview_id=00000000-0000-4000-8000-000000000000"></iframe>`,
    );
    await page.waitForTimeout(500);
    const framed = page.frames().find((frame) => frame !== page.mainFrame());
    expect(framed).toBeDefined();
    // Chromium puts its own error page in the frame's place: never the hosted page's text.
    expect(await framed!.content()).not.toContain('Connect Webview not found');
    await page.close();
  });
});
