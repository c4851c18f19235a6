import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { ServerProcess } from '../support/server-process.js';
import { sandboxClient } from '../support/sandbox.js';

const MB = 1024 * 1024;

// What one caller can make the server hold: statements, stream buffers, sockets. Each test reads the real
// server process's RSS (/proc) before and after.
describe('resource bounds', () => {
  const server = new ServerProcess(undefined, {
    EVENT_STREAMS_PER_KEY: '40',
    HTTP_REQUEST_TIMEOUT_MS: '2000',
  });
  let auth: Record<string, string>;
  const post = (path: string, body: unknown) => server.post(path, body);

  beforeAll(async () => {
    await server.start();
    auth = { authorization: `Bearer ${server.sandboxApiKey}` };
  });
  afterAll(() => server.stop());

  it('refuses a list filter naming more than 50 ids or custom_metadata_has keys', async () => {
    const ids = Array.from({ length: 51 }, () => randomUUID());
    const tooManyIds = await post('/devices/list', { device_ids: ids });
    expect(tooManyIds).toMatchObject({ status: 400, body: { error: { type: 'invalid_input' } } });
    const keys = Object.fromEntries(Array.from({ length: 51 }, (_, k) => [`k${k}`, 'v']));
    for (const route of ['/devices/list', '/connected_accounts/list', '/connect_webviews/list']) {
      const tooManyKeys = await post(route, { custom_metadata_has: keys });
      expect(tooManyKeys).toMatchObject({ status: 400, body: { error: { type: 'invalid_input' } } });
    }
    expect((await post('/devices/list', { device_ids: ids.slice(0, 50) })).status).toBe(200);
  });

  it('keeps RSS within 50 MB over 1,000 list queries of distinct shapes', async () => {
    const shape = (n: number) => ({
      device_ids: Array.from({ length: (n % 50) + 1 }, () => randomUUID()),
      custom_metadata_has: Object.fromEntries(Array.from({ length: Math.floor(n / 50) + 1 }, (_, k) => [`k${k}`, 'v'])),
    });
    // Warm-up with 300 other shapes (device_types): the heap grows to its working size, the cache fills.
    for (let n = 0; n < 300; n++) {
      const { device_ids, ...rest } = shape(n);
      const warmUp = { ...rest, device_types: device_ids.map((_, i) => `type_${i}`) };
      expect((await post('/devices/list', warmUp)).status).toBe(200);
    }
    const before = server.rssBytes();
    for (let n = 0; n < 1000; n++) expect((await post('/devices/list', shape(n))).status).toBe(200);
    const grown = server.rssBytes() - before;
    expect(grown).toBeLessThan(50 * MB);
  });

  it('keeps RSS within 50 MB while 40 event-stream clients read nothing', async () => {
    const seam = sandboxClient(server);
    const webview = await post('/connect_webviews/create', {});
    const done = await seam.completeWebview(webview.body.connect_webview.connect_webview_id, 'sse-bounds@example.com');
    const accountId = done.body.connect_webview.connected_account_id as string;
    // 50 keys of 400 characters: each change is a public event of about 60 KB.
    let round = 0;
    const updates = async (count: number) => {
      for (let i = 0; i < count; i++, round++) {
        const custom_metadata = Object.fromEntries(
          Array.from({ length: 50 }, (_, k) => [`k${k}`, `${round}`.padEnd(400, 'x')]),
        );
        expect(
          (await post('/connected_accounts/update', { connected_account_id: accountId, custom_metadata })).status,
        ).toBe(200);
      }
    };
    await updates(100);
    const before = server.rssBytes();
    const { hostname: host, port } = new URL(server.url);
    const clients: Socket[] = [];
    for (let i = 0; i < 40; i++) {
      const socket = connect(Number(port), host);
      socket.write(
        `GET /events/stream?since=2020-01-01T00:00:00Z&event_types=connected_account.custom_metadata_changed HTTP/1.1\r\n` +
          `Host: ${host}\r\nAuthorization: ${auth.authorization}\r\n\r\n`,
      );
      socket.pause(); // never reads: the server must stop writing, not buffer the log
      clients.push(socket);
    }
    await updates(200);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const grown = server.rssBytes() - before;
    // One more stream than the cap: 429 in Seam's envelope.
    const extra = await fetch(`${server.url}/events/stream`, { headers: auth });
    expect(extra.status).toBe(429);
    expect(await extra.json()).toMatchObject({ ok: false, error: { type: 'too_many_event_streams' } });
    clients.forEach((socket) => socket.destroy());
    expect(grown).toBeLessThan(50 * MB);
  }, 60_000);

  it('answers /health within 1 s while 1,000 connections send their bodies slowly', async () => {
    const { hostname: host, port } = new URL(server.url);
    const open = (headers: string) =>
      new Promise<{ socket: Socket; answer: Promise<string> }>((resolve, reject) => {
        const socket = connect(Number(port), host, () => {
          socket.write(
            `POST /connect_webviews/create HTTP/1.1\r\nHost: ${host}\r\n${headers}` +
              'Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{',
          );
          let received = '';
          const answer = new Promise<string>((done) => {
            socket.on('data', (chunk) => (received += chunk.toString()));
            socket.on('close', () => done(received));
          });
          resolve({ socket, answer });
        });
        socket.on('error', reject);
      });
    const anonymous = await Promise.all(Array.from({ length: 1000 }, () => open('')));
    const started = performance.now();
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    expect(performance.now() - started).toBeLessThan(1000);
    // Without a key, each is refused before its body is read, and its connection closed.
    const answers = await Promise.all(anonymous.map(({ answer }) => answer));
    expect(answers.every((answer) => answer.startsWith('HTTP/1.1 401'))).toBe(true);

    // With a key, a body that does not arrive within HTTP_REQUEST_TIMEOUT_MS (2 s here) is cut off.
    const slow = await open(`Authorization: ${auth.authorization}\r\n`);
    const cutAfter = performance.now();
    const answer = await slow.answer;
    expect(answer).toMatch(/^HTTP\/1.1 408/);
    expect(performance.now() - cutAfter).toBeLessThan(5000);
    expect(server.running).toBe(true);
  }, 60_000);
});
