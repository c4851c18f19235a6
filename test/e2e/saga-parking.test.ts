import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { SqliteEventStore } from '../../src/event-store/sqlite-event-store.js';
import { lastJsonLine, runCli, ServerProcess } from '../support/server-process.js';
import { sandboxClient } from '../support/sandbox.js';
import { webviewCreated } from '../support/domain-fixtures.js';

// A completion that keeps failing is parked after 5 attempts, so the ones after it go through; an operator
// sees it in /health and the CLI, and retries it from the log once its cause is gone.
describe('completion saga: a poison event', () => {
  const server = new ServerProcess();
  const call = (path: string, body: unknown = {}) => server.post(path, body);
  const append = async (stream: string, expectedRevision: number | 'no_stream', type: string, data: unknown) => {
    const store = new SqliteEventStore(join(server.dataDir, 'events.db'));
    try {
      const id = randomUUID();
      await store.append(stream, [{ id, type, data, metadata: { schema_version: 1, actor: { type: 'system' } } }], {
        expectedRevision,
      });
      return id;
    } finally {
      await store.close();
    }
  };

  beforeAll(() => server.start());
  afterAll(() => server.stop());

  it('parks it, lets a later completion through, and completes it on an operator retry once it can', async () => {
    const template = (await call('/connect_webviews/create')).body.connect_webview;
    const workspaceId = template.workspace_id as string;
    // A WebviewCompleted for a webview the log has never seen: the workflow refuses it every time.
    const poisonWebview = randomUUID();
    const poisonEventId = await append(`connect_webview-${poisonWebview}`, 'no_stream', 'WebviewCompleted', {
      connect_webview_id: poisonWebview,
      workspace_id: workspaceId,
      provider: 'august',
      email: 'poison@example.com',
      connected_account_id: randomUUID(),
      completed_at: new Date().toISOString(),
    });

    const later = await sandboxClient(server).completeWebview(template.connect_webview_id, 'later@example.com');
    expect(later.status).toBe(200);
    expect(later.body.connect_webview.status).toBe('authorized');

    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true }); // an anonymous caller is told the status only
    expect(await (await fetch(server.detailedHealthUrl)).json()).toMatchObject({ ok: true, parked_saga_events: 1 });
    const parked = await runCli(server.dataDir, ['saga', 'parked']);
    const listed = lastJsonLine(parked.stdout) as unknown as { parked_saga_events: Record<string, unknown>[] };
    expect(listed.parked_saga_events).toEqual([
      expect.objectContaining({
        event_id: poisonEventId,
        attempts: 5,
        error: expect.stringMatching(/unknown webview/),
      }),
    ]);

    // Retried while its cause remains: still parked, exit status 1.
    const failed = await runCli(server.dataDir, ['saga', 'retry', '--event-id', poisonEventId]);
    expect(failed.code).toBe(1);
    expect(lastJsonLine(failed.stdout)).toMatchObject({ event_id: poisonEventId, completed: false });

    // The cause gone (the webview now exists in the log), the retry completes it.
    const created = (await call('/connect_webviews/get', { connect_webview_id: template.connect_webview_id })).body;
    expect(created.ok).toBe(true);
    await append(
      `connect_webview-${poisonWebview}`,
      0,
      'ConnectWebviewCreated',
      webviewCreated({ connect_webview_id: poisonWebview, workspace_id: workspaceId, auth_token: undefined }).data,
    );
    const retried = await runCli(server.dataDir, ['saga', 'retry', '--event-id', poisonEventId]);
    expect(retried.code).toBe(0);
    expect(lastJsonLine(retried.stdout)).toEqual({ event_id: poisonEventId, completed: true });
    expect(lastJsonLine((await runCli(server.dataDir, ['saga', 'parked'])).stdout)).toEqual({ parked_saga_events: [] });
    for (let i = 0; i < 40; i++) {
      if ((await call('/connected_accounts/get', { email: 'poison@example.com' })).status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await call('/connected_accounts/get', { email: 'poison@example.com' })).status).toBe(200);
    expect(await (await fetch(server.detailedHealthUrl)).json()).toMatchObject({ ok: true, parked_saga_events: 0 });
  }, 60_000);
});
