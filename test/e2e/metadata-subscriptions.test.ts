import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SeamHttp } from '@seamapi/http/connect';
import { SeamWebhook } from '@seamapi/webhook';
import { sandboxClient } from '../support/sandbox.js';
import { ServerProcess } from '../support/server-process.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

// Subscriptions filtered by metadata (extensions): `custom_metadata_match` and
// `connected_account_custom_metadata_match` on webhooks, `/events/list` and `/events/stream`, matched
// against the snapshots frozen in each event.
describe('event subscriptions filtered by metadata', () => {
  const server = new ServerProcess(undefined, { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' });
  let seam: SeamHttp;
  const hook = new WebhookReceiver();
  let webhook: { webhook_id: string; secret: string };
  const since = new Date(Date.now() - 1000).toISOString();
  const accounts: Record<string, string[]> = { t1: [], t2: [] };
  const tenantSelector = { connected_account_custom_metadata_match: { tenant: 't1' } };

  const complete = async (tenant: 't1' | 't2', email: string) => {
    const webview = await seam.connectWebviews.create({ custom_metadata: { tenant } });
    const done = await sandboxClient(server).completeWebview(webview.connect_webview_id, email);
    accounts[tenant].push(done.body.connect_webview.connected_account_id as string);
  };
  const eventIds = async (filter: Record<string, unknown>) => {
    const { status, body } = await server.post('/events/list', { since, limit: 1000, ...filter });
    expect(status).toBe(200);
    return (body.events as { event_id: string }[]).map((event) => event.event_id);
  };

  beforeAll(async () => {
    await server.start();
    await hook.start();
    seam = new SeamHttp({ apiKey: server.sandboxApiKey!, endpoint: server.url });
    webhook = (await server.post('/webhooks/create', { url: hook.url, ...tenantSelector })).body.webhook;
    // t1, then t2, then t1 again: t2's events lie between two of t1's in the webhook's order.
    await complete('t1', 'first@example.com');
    await complete('t2', 'second@example.com');
    await complete('t1', 'third@example.com');
  });
  afterAll(async () => {
    await hook.stop();
    await server.stop();
  });

  it("events/list takes the account's selector: every event of t1's accounts and their devices, none of t2's", async () => {
    const t1 = await eventIds(tenantSelector);
    const ofT1Accounts = (await Promise.all(accounts.t1.map((id) => eventIds({ connected_account_id: id })))).flat();
    expect(t1.length).toBeGreaterThanOrEqual(8);
    expect(new Set(t1)).toEqual(new Set(ofT1Accounts));
    const t2 = await eventIds({ connected_account_custom_metadata_match: { tenant: { not_in: ['t1'] } } });
    expect(new Set(t2)).toEqual(new Set(await eventIds({ connected_account_id: accounts.t2[0] })));
    // The event's own resource: a device event by the device's snapshot, an account's by the account's.
    const devices = await eventIds({ event_type: 'device.added', custom_metadata_match: { tenant: 't1' } });
    expect(devices).toEqual([]); // devices are added with no metadata
    const orphans = await eventIds({
      event_type: 'device.added',
      custom_metadata_match: { tenant: { exists: false } },
    });
    expect(orphans.length).toBeGreaterThan(0);
  });

  it("delivers to the webhook every event of t1's account and devices and none of t2's; each verifies", async () => {
    const expected = await eventIds(tenantSelector);
    await hook.until(() => hook.received.length >= expected.length);
    const verifier = new SeamWebhook(webhook.secret);
    const delivered = hook.received.map(
      (d) =>
        verifier.verify(d.body, d.headers as Record<string, string>) as {
          event_id: string;
          connected_account_id?: string;
        },
    );
    // Deliveries go in order: t2's events came before t1's last ones, so they would have arrived by now.
    expect(delivered.map((event) => event.event_id)).toEqual(expected);
    expect(delivered.every((event) => accounts.t1.includes(event.connected_account_id!))).toBe(true);
  });

  it('shows the selector on webhooks/get, and updates or removes it', async () => {
    const { body } = await server.post('/webhooks/get', { webhook_id: webhook.webhook_id });
    expect(body.webhook.metadata_selector).toEqual(tenantSelector);
    await server.post('/webhooks/update', {
      webhook_id: webhook.webhook_id,
      custom_metadata_match: { plan: { exists: false } },
    });
    const updated = (await server.post('/webhooks/get', { webhook_id: webhook.webhook_id })).body.webhook;
    expect(updated.metadata_selector).toEqual({
      ...tenantSelector,
      custom_metadata_match: { plan: { exists: false } },
    });
    await server.post('/webhooks/update', {
      webhook_id: webhook.webhook_id,
      custom_metadata_match: null,
      connected_account_custom_metadata_match: null,
    });
    const cleared = (await server.post('/webhooks/get', { webhook_id: webhook.webhook_id })).body.webhook;
    expect(cleared).not.toHaveProperty('metadata_selector');
    const bad = await server.post('/webhooks/create', {
      url: hook.url,
      connected_account_custom_metadata_match: { tenant: { in: 't1' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('"connected_account_custom_metadata_match.tenant.in"');
  });

  it('filters /events/stream the same way', async () => {
    const expected = await eventIds(tenantSelector);
    const stop = new AbortController();
    const query = `since=${encodeURIComponent(since)}&connected_account_custom_metadata_match.tenant=t1`;
    const response = await fetch(`${server.url}/events/stream?${query}`, {
      headers: server.auth(),
      signal: stop.signal,
    });
    expect(response.status).toBe(200);
    const seen: string[] = [];
    const reader = response.body!.getReader();
    let text = '';
    while (seen.length < expected.length) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
      const lines = text.split('\n');
      text = lines.pop()!;
      for (const line of lines) if (line.startsWith('id: ')) seen.push(line.slice(4));
    }
    stop.abort();
    expect(seen).toEqual(expected);
  });
});
