import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { lastJsonLine, runCli, ServerProcess } from '../support/server-process.js';
import { postFrom } from '../support/post-from.js';
import { get } from 'node:http';

// Limits a caller meets before it can cost the others: requests per key, and failed logins on the public
// hosted page per webview, whatever the address.
describe('abuse limits', () => {
  const server = new ServerProcess(undefined, { RATE_LIMIT_PER_KEY: '20' });
  const post = (path: string, body: unknown, headers?: Record<string, string>) => server.post(path, body, headers);

  beforeAll(() => server.start());
  afterAll(() => server.stop());

  it('answers 429 with Retry-After past the key rate, and serves it again after that', async () => {
    // 20 a second, bursts of 40: 80 at once go over.
    const answers = await Promise.all(Array.from({ length: 80 }, () => post('/devices/list', {})));
    const limited = answers.filter((a) => a.status === 429);
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(40);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0].body).toMatchObject({ ok: false, error: { type: 'rate_limited' } });
    const retryAfter = Number(limited[0].headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
    expect((await post('/devices/list', {})).status).toBe(200);
  });

  it('locks the hosted login of a webview after 10 wrong passwords from any addresses, recording only those 10', async () => {
    await new Promise((resolve) => setTimeout(resolve, 2000)); // the key's bucket refills
    const since = new Date().toISOString();
    const webview = (await post('/connect_webviews/create', {})).body.connect_webview;
    const authToken = new URL(webview.url as string).searchParams.get('auth_token');
    // Six client addresses in turn: the budget is the webview's, not an address's.
    const attempt = (password: string, i: number) =>
      postFrom(`127.0.0.${(i % 6) + 1}`, `${server.url}/connect_webviews/view/complete`, {
        connect_webview_id: webview.connect_webview_id,
        auth_token: authToken,
        email: 'end-user@example.com',
        password,
      });
    const statuses: number[] = [];
    let lockedOut: Awaited<ReturnType<typeof attempt>> | undefined;
    for (let i = 0; i < 20; i++) {
      const answer = await attempt('wrong', i);
      statuses.push(answer.status);
      if (answer.status === 429) lockedOut ??= answer;
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(400));
    expect(statuses.slice(10)).toEqual(Array(10).fill(429));
    expect(lockedOut!.body).toMatchObject({ ok: false, error: { type: 'rate_limited' } });
    expect(Number(lockedOut!.headers['retry-after'])).toBeGreaterThan(60);
    // Even the right password waits for the lock to end.
    expect((await attempt('1234', 0)).status).toBe(429);

    const failures = await post('/events/list', { since, event_type: 'connect_webview.login_failed' });
    expect(failures.status).toBe(200);
    expect(failures.body.events).toHaveLength(10);
  });

  it("takes the hosted form's post from its own page only, and refuses a form anywhere else", async () => {
    const webview = (await post('/connect_webviews/create', {})).body.connect_webview;
    const form = (origin?: string) =>
      fetch(`${server.url}/connect_webviews/view`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(origin ? { origin } : {}) },
        body: new URLSearchParams({
          connect_webview_id: webview.connect_webview_id,
          auth_token: new URL(webview.url as string).searchParams.get('auth_token')!,
          email: 'form@example.com',
          password: 'wrong',
        }),
      });
    const foreign = await form('https://evil.example');
    expect(foreign.status).toBe(403);
    expect(await foreign.text()).toContain('own page only');
    const own = await form(new URL(server.url).origin);
    expect(own.status).toBe(400);
    expect(own.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await own.text()).toContain('Wrong email or password');
    // Elsewhere a form body is not JSON: refused.
    const elsewhere = await fetch(`${server.url}/devices/list`, {
      method: 'POST',
      headers: { ...server.auth(), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1',
    });
    expect(elsewhere.status).toBe(400);
  });

  it('limits the public routes per client address: one address past its rate gets 429, another is served', async () => {
    const page = (from: string) =>
      new Promise<number>((resolve, reject) => {
        const url = new URL(
          `${server.url}/connect_webviews/view?connect_webview_id=${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}`,
        );
        get(url, { localAddress: from }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        }).on('error', reject);
      });
    const statuses = await Promise.all(Array.from({ length: 120 }, () => page('127.0.0.7')));
    expect(statuses.filter((s) => s === 404).length).toBeGreaterThanOrEqual(40); // a burst of twice the rate
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(await page('127.0.0.8')).toBe(404);
  });
});

describe("a workspace's writes into the log", () => {
  const server = new ServerProcess(undefined, { LOG_BYTES_PER_MINUTE_PER_WORKSPACE: '200000' });
  beforeAll(() => server.start());
  afterAll(() => server.stop());

  it('are bounded per minute: past the budget 429 with Retry-After and nothing appended; others write on', async () => {
    const big = Object.fromEntries(Array.from({ length: 50 }, (_, k) => [`k${k}`, 'v'.repeat(500)])); // ~27 KB
    const statuses: number[] = [];
    let refused: Awaited<ReturnType<typeof server.post>> | undefined;
    for (let i = 0; i < 12; i++) {
      const answer = await server.post('/connect_webviews/create', { custom_metadata: big });
      statuses.push(answer.status);
      if (answer.status === 429) refused ??= answer;
    }
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(6);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(8);
    expect(refused?.body.error.type).toBe('rate_limited');
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const listed = (await server.post('/connect_webviews/list', {})).body.connect_webviews;
    expect(listed).toHaveLength(statuses.filter((s) => s === 200).length); // reads go on; nothing refused was stored
    // Another workspace is not held up by this one.
    const other = lastJsonLine(
      (await runCli(server.dataDir, ['workspace', 'create', '--name', 'Other'])).stdout,
    ).api_key;
    for (let i = 0; i < 40 && (await server.post('/connect_webviews/list', {}, server.auth(other))).status !== 200; i++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await server.post('/connect_webviews/create', { custom_metadata: big }, server.auth(other))).status).toBe(
      200,
    );
  });
});
