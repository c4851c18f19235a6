import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ServerProcess } from '../support/server-process.js';

describe('Idempotency-Key on create routes', () => {
  const server = new ServerProcess(undefined, { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' });
  const post = (path: string, body: unknown, key?: string) =>
    server.post(path, body, { ...server.auth(), ...(key ? { 'idempotency-key': key } : {}) });
  const webviewCount = async () => (await post('/connect_webviews/list', {})).body.connect_webviews.length as number;

  beforeAll(() => server.start());
  afterAll(() => server.stop());

  it('gives the first answer to a retry with the same key and body, and creates one webview', async () => {
    const before = await webviewCount();
    const body = { custom_metadata: { internal_account_id: 'user-7', plan: 'pro' } };
    const first = await post('/connect_webviews/create', body, 'create-user-7');
    // The same body, its keys in another order, twice at once and once later.
    const reordered = { custom_metadata: { plan: 'pro', internal_account_id: 'user-7' } };
    const retries = await Promise.all([
      post('/connect_webviews/create', reordered, 'create-user-7'),
      post('/connect_webviews/create', body, 'create-user-7'),
    ]);
    const later = await post('/connect_webviews/create', body, 'create-user-7');
    expect(first.status).toBe(200);
    for (const retry of [...retries, later]) {
      expect(retry.status).toBe(200);
      expect(retry.body).toEqual(first.body);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
    }
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(await webviewCount()).toBe(before + 1);
  });

  it('refuses the same key with another body with 422, and creates nothing', async () => {
    const before = await webviewCount();
    expect((await post('/connect_webviews/create', { custom_metadata: { a: '1' } }, 'k-422')).status).toBe(200);
    const other = await post('/connect_webviews/create', { custom_metadata: { a: '2' } }, 'k-422');
    expect(other).toMatchObject({ status: 422, body: { ok: false, error: { type: 'idempotency_key_reused' } } });
    expect(await webviewCount()).toBe(before + 1);
  });

  it('creates every time without a key, and keeps keys of webhooks apart from webviews by body', async () => {
    const before = await webviewCount();
    await post('/connect_webviews/create', {});
    await post('/connect_webviews/create', {});
    expect(await webviewCount()).toBe(before + 2);
    const hook = { url: 'http://127.0.0.1:9/hook' };
    const a = await post('/webhooks/create', hook, 'hook-1');
    const b = await post('/webhooks/create', hook, 'hook-1');
    expect(b.body.webhook.webhook_id).toBe(a.body.webhook.webhook_id);
    expect((await post('/webhooks/list', {})).body.webhooks).toHaveLength(1);
  });
});
