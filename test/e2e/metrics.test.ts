import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sandboxClient } from '../support/sandbox.js';
import { ServerProcess } from '../support/server-process.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

/** One series as Prometheus' text format gives it: its labels and value. */
type Sample = { labels: Record<string, string>; value: number };

async function scrape(url: string): Promise<Map<string, Sample[]>> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  const series = new Map<string, Sample[]>();
  for (const line of (await response.text()).split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    series.set(match[1], [...(series.get(match[1]) ?? []), { labels, value: Number(match[3]) }]);
  }
  return series;
}

const total = (samples: Sample[] | undefined, where: Record<string, string> = {}) =>
  (samples ?? [])
    .filter((s) => Object.entries(where).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);

describe('Prometheus metrics on METRICS_PORT', () => {
  const server = new ServerProcess(undefined, { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', EVENT_STREAMS_PER_KEY: '1' });
  const hook = new WebhookReceiver();
  beforeAll(async () => {
    await server.start();
    await hook.start();
  });
  afterAll(async () => {
    await server.stop();
    await hook.stop();
  });

  it('serves /metrics on loopback, on its own port and not on the API port', async () => {
    expect(server.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(new URL(server.metricsUrl).port).not.toBe(new URL(server.url).port);
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
  });

  it('counts every request sent, and shows appends, consumers, webhooks, SSE, 429s and the process', async () => {
    const before = await scrape(server.metricsUrl);
    let sent = 0;
    const post = async (path: string, body: unknown) => {
      sent += 1;
      return server.post(path, body);
    };
    await post('/webhooks/create', { url: hook.url });
    const webviewIds: string[] = [];
    for (let i = 0; i < 10; i++) {
      webviewIds.push(
        (await post('/connect_webviews/create', { custom_metadata: { n: String(i) } })).body.connect_webview
          .connect_webview_id,
      );
    }
    for (const id of webviewIds.slice(0, 5)) await post('/connect_webviews/get', { connect_webview_id: id });
    await post('/connect_webviews/get', { connect_webview_id: '00000000-0000-4000-8000-000000000000' }); // 404
    sent += 1; // the completion below
    expect((await sandboxClient(server).completeWebview(webviewIds[0], 'metrics@example.com')).status).toBe(200);
    await hook.until(() => hook.received.length > 0);

    const after = await scrape(server.metricsUrl);
    const requests = (series: Map<string, Sample[]>) => total(series.get('http_request_duration_seconds_count'));
    expect(requests(after) - requests(before)).toBe(sent);
    expect(
      total(after.get('http_requests_total'), { route: '/connect_webviews/create', method: 'POST', status: '200' }) -
        total(before.get('http_requests_total'), { route: '/connect_webviews/create', method: 'POST', status: '200' }),
    ).toBe(10);
    expect(total(after.get('http_requests_total'), { route: '/connect_webviews/get', status: '404' })).toBe(1);
    expect(total(after.get('http_request_duration_seconds_sum'))).toBeGreaterThan(0);

    expect(total(after.get('event_store_append_duration_seconds_count'))).toBeGreaterThanOrEqual(12);
    expect(total(after.get('event_store_events_per_commit_sum'))).toBeGreaterThanOrEqual(
      total(after.get('event_store_events_per_commit_count')),
    );
    expect(total(after.get('webhook_deliveries_total'), { outcome: 'delivered' })).toBeGreaterThanOrEqual(1);
    expect(
      total(after.get('webhook_delivery_duration_seconds_count'), { outcome: 'delivered' }),
    ).toBeGreaterThanOrEqual(1);
    expect(after.get('webhook_events_pending')).toHaveLength(1);
    expect(after.get('saga_parked_events')?.[0].value).toBe(0);
    expect(after.get('process_resident_memory_bytes')?.[0].value).toBeGreaterThan(10_000_000);
    expect(after.get('nodejs_eventloop_lag_seconds')).toBeDefined();

    // Every consumer's lag reaches 0 once caught up, and none is failing.
    let lags: Sample[] = [];
    for (let i = 0; i < 50; i++) {
      lags = (await scrape(server.metricsUrl)).get('event_store_consumer_lag_events') ?? [];
      if (lags.length === 2 && lags.every((s) => s.value === 0)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(lags.map((s) => [s.labels.consumer, s.value]).sort()).toEqual([
      ['completion_saga', 0],
      ['read_models', 0],
    ]);
    expect(total(after.get('event_store_consumer_failing'))).toBe(0);
  });

  it('counts open event streams, and answers rate-limited with 429', async () => {
    const open = new AbortController();
    const stream = await fetch(`${server.url}/events/stream`, { headers: server.auth(), signal: open.signal });
    expect(stream.status).toBe(200);
    const refused = await fetch(`${server.url}/events/stream`, { headers: server.auth() });
    expect(refused.status).toBe(429); // EVENT_STREAMS_PER_KEY=1
    const during = await scrape(server.metricsUrl);
    expect(during.get('sse_connections')?.[0].value).toBe(1);
    expect(total(during.get('http_rate_limited_total'), { route: '/events/stream' })).toBe(1);
    open.abort();
    for (let i = 0; i < 50; i++) {
      if ((await scrape(server.metricsUrl)).get('sse_connections')?.[0].value === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await scrape(server.metricsUrl)).get('sse_connections')?.[0].value).toBe(0);
  });
});
