import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newDataDir, ServerProcess } from '../support/server-process.js';

// EventStoreDB configured, but at a port that accepts connections and never answers: the worst case, where
// the client would otherwise wait a minute.
describe('EVENT_STORE=eventstoredb with an EventStoreDB that never answers', () => {
  let silent: Server;
  let server: ServerProcess;
  let apiKey: string;
  let startedAt: number;

  beforeAll(async () => {
    silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    // Read models that know an API key, as an instance has after any earlier run, so the write below
    // reaches the store rather than stopping at authentication.
    const dataDir = newDataDir();
    const seeded = await new ServerProcess(dataDir).start();
    apiKey = seeded.sandboxApiKey!;
    await seeded.stop();

    server = new ServerProcess(dataDir, {
      EVENT_STORE: 'eventstoredb',
      EVENTSTORE_CONNECTION_STRING: `esdb://127.0.0.1:${port}?tls=false`,
    });
    startedAt = Date.now();
    await server.start({ untilCaughtUp: false });
  });
  afterAll(async () => {
    await server?.stop();
    silent?.close();
  });

  it('starts, and answers /health with 503 naming the store within ten seconds', async () => {
    expect(Date.now() - startedAt).toBeLessThan(10_000);
    const asked = Date.now();
    const response = await fetch(`${server.url}/health`);
    expect(Date.now() - asked).toBeLessThan(10_000);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { ok: boolean; error: { type: string; message: string } };
    expect(body.ok).toBe(false);
    expect(body.error.type).toBe('event_store_unavailable');
    // An anonymous caller gets the reason, never the store's raw error; the operator's port names the store.
    expect(body.error.message).toBe('The event store is unavailable');
    const detail = (await (await fetch(server.detailedHealthUrl)).json()) as { error: { message: string } };
    expect(detail.error.message).toContain('EventStoreDB');
    // Ready says the same; live answers at once: the process is fine, only its store is not.
    const ready = await fetch(`${server.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ ok: false, error: { type: 'event_store_unavailable' } });
    const liveAsked = Date.now();
    const live = await fetch(`${server.url}/health/live`);
    expect(live.status).toBe(200);
    expect(Date.now() - liveAsked).toBeLessThan(1000);
  });

  it('refuses a write with 503 event_store_unavailable within ten seconds', async () => {
    const asked = Date.now();
    const response = await fetch(`${server.url}/connect_webviews/create`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ custom_metadata: { id: 'never-written' } }),
    });
    expect(Date.now() - asked).toBeLessThan(10_000);
    expect(response.status).toBe(503);
    expect(((await response.json()) as { error: { type: string } }).error.type).toBe('event_store_unavailable');
  });
});
