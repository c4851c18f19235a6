import { afterAll, describe, expect, it } from '@jest/globals';
import { request } from 'node:http';
import { ServerProcess } from '../support/server-process.js';

/** One POST on a connection of its own: its answer, or how it failed ('refused': never sent). */
function postOnce(
  url: string,
  apiKey: string,
  body: unknown,
): Promise<{ status: number; body: any; retryAfter: string | undefined } | { error: string }> {
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
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body: JSON.parse(text),
            retryAfter: response.headers['retry-after'] as string | undefined,
          }),
        );
        response.on('error', (error) => resolve({ error: String(error) }));
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ error: error.code === 'ECONNREFUSED' ? 'refused' : `${error.code ?? ''} ${error.message}` }),
    );
    req.end(payload);
  });
}

/**
 * A client that keeps sending, each request on a new connection: what it saw. Told `shutting_down`, it waits
 * as `Retry-After` says; refused, the server is gone and the request was never sent, so it stops. Anything
 * else that is not an answer (a reset) is broken: its client cannot tell whether its write happened.
 */
async function keepSending(url: string, apiKey: string, n: number, until: () => boolean) {
  const seen = { acknowledged: [] as string[], toldToRetry: 0, broken: [] as string[] };
  for (let i = 0; !until(); i++) {
    const answer = await postOnce(`${url}/connect_webviews/create`, apiKey, {
      custom_metadata: { client: `${n}-${i}` },
    });
    if ('error' in answer) {
      if (answer.error !== 'refused') seen.broken.push(answer.error);
      return seen;
    }
    if (answer.status === 200) seen.acknowledged.push(answer.body.connect_webview.connect_webview_id);
    else if (answer.status === 503 && answer.body.error?.type === 'shutting_down') {
      seen.toldToRetry++;
      await new Promise((resolve) => setTimeout(resolve, Number(answer.retryAfter) * 1000));
    } else seen.broken.push(`answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  }
  return seen;
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

    let stopped = false;
    // What a load balancer does: poll readiness, and send no new request once it fails.
    const balancer = (async () => {
      while (!stopped) {
        const ready = await fetch(`${url}/health/ready`).catch(() => undefined);
        if (ready?.status !== 200) stopped = true;
        else await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    const clients = [0, 1, 2, 3].map((n) => keepSending(url, apiKey, n, () => stopped));
    await new Promise((resolve) => setTimeout(resolve, 700));
    const signalled = Date.now();
    const code = await server.terminate();
    const took = Date.now() - signalled;
    const seen = await Promise.all(clients);
    await balancer;

    expect(code).toBe(0);
    expect(took).toBeLessThan(5000);
    expect(seen.flatMap((s) => s.broken)).toEqual([]);
    const acknowledged = seen.flatMap((s) => s.acknowledged);
    expect(acknowledged.length).toBeGreaterThan(4);
    expect(await streamText).toContain('retry: 1000');

    await server.start();
    for (const id of acknowledged) {
      expect((await server.post('/connect_webviews/get', { connect_webview_id: id })).status).toBe(200);
    }
  }, 60_000);

  it('with no balancer, answers every connection under 4 clients that keep sending, and resets none, 20 times in a row', async () => {
    const direct = new ServerProcess(undefined, { SHUTDOWN_GRACE_MS: '5000', SHUTDOWN_DRAIN_MS: '300' });
    const acknowledged: string[] = [];
    let toldToRetry = 0;
    try {
      for (let run = 0; run < 20; run++) {
        await direct.start();
        let gone = false;
        const clients = [0, 1, 2, 3].map((n) => keepSending(direct.url, direct.sandboxApiKey!, n, () => gone));
        await new Promise((resolve) => setTimeout(resolve, 200 + ((run * 37) % 300)));
        expect(await direct.terminate()).toBe(0);
        const seen = await Promise.all(clients);
        gone = true;
        expect({ run, broken: seen.flatMap((s) => s.broken) }).toEqual({ run, broken: [] });
        acknowledged.push(...seen.flatMap((s) => s.acknowledged));
        toldToRetry += seen.reduce((sum, s) => sum + s.toldToRetry, 0);
      }
      expect(toldToRetry).toBeGreaterThan(0); // the drain was exercised, not missed
      await direct.start();
      for (const id of acknowledged) {
        expect((await direct.post('/connect_webviews/get', { connect_webview_id: id })).status).toBe(200);
      }
    } finally {
      await direct.stop();
    }
  }, 240_000);
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
