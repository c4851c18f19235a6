import { afterAll, describe, expect, it } from '@jest/globals';
import { request } from 'node:http';
import { ServerProcess } from '../support/server-process.js';

/** One POST on a connection of its own: its answer, or how it failed ('refused': never sent). */
function postOnce(
  url: string,
  apiKey: string,
  body: unknown,
): Promise<{ status: number; body: any } | { error: string }> {
  return new Promise((resolve) => {
    const payload = JSON.stringify(body);
    const req = request(
      url,
      {
        method: 'POST',
        agent: false,
        headers: {
          authorization: `Bearer ${apiKey}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
        },
      },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
        response.on('error', (error) => resolve({ error: String(error) }));
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ error: error.code === 'ECONNREFUSED' ? 'refused' : `${error.code ?? ''} ${error.message}` }),
    );
    req.end(payload);
  });
}

describe('graceful shutdown', () => {
  const server = new ServerProcess(undefined, { SHUTDOWN_GRACE_MS: '5000', SHUTDOWN_DRAIN_MS: '500' });
  afterAll(() => server.stop());

  it('answers every request it took, ends event streams with a retry hint, loses no write, and exits 0', async () => {
    await server.start();
    const apiKey = server.sandboxApiKey!;
    const url = server.url;
    const stream = await fetch(`${url}/events/stream`, { headers: server.auth() });
    const streamText = stream.text();

    const acknowledged: string[] = [];
    const broken: string[] = [];
    let stopped = false;
    const client = async (n: number) => {
      for (let i = 0; !stopped; i++) {
        const answer = await postOnce(`${url}/connect_webviews/create`, apiKey, {
          custom_metadata: { client: `${n}-${i}` },
        });
        if ('error' in answer) {
          if (answer.error === 'refused') return; // it no longer listens: this request was never sent
          broken.push(answer.error);
          return;
        }
        if (answer.status === 200) acknowledged.push(answer.body.connect_webview.connect_webview_id);
        else broken.push(`answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      }
    };
    // What a load balancer does: poll readiness, and send no new request once it fails.
    const balancer = (async () => {
      while (!stopped) {
        const ready = await fetch(`${url}/health/ready`).catch(() => undefined);
        if (ready?.status !== 200) stopped = true;
        else await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    const clients = [0, 1, 2, 3].map(client);
    await new Promise((resolve) => setTimeout(resolve, 700));
    const signalled = Date.now();
    const code = await server.terminate();
    const took = Date.now() - signalled;
    await Promise.all([balancer, ...clients]);

    expect(code).toBe(0);
    expect(took).toBeLessThan(5000);
    expect(broken).toEqual([]);
    expect(acknowledged.length).toBeGreaterThan(4);
    expect(await streamText).toContain('retry: 1000');

    await server.start();
    for (const id of acknowledged) {
      expect((await server.post('/connect_webviews/get', { connect_webview_id: id })).status).toBe(200);
    }
  }, 60_000);

  it('exits at once on a second signal, without waiting for the drain', async () => {
    const slow = new ServerProcess(undefined, { SHUTDOWN_GRACE_MS: '20000', SHUTDOWN_DRAIN_MS: '10000' });
    await slow.start();
    const exited = slow.exited();
    slow.signal('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await fetch(`${slow.url}/health/ready`)).status).toBe(503); // draining, for 10 s
    const second = Date.now();
    slow.signal('SIGINT');
    expect(await exited).toBe(1);
    expect(Date.now() - second).toBeLessThan(1000);
    expect(slow.output).toMatch(/SIGINT again: exiting now/);
  }, 30_000);
});
