import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { IDEMPOTENCY_KEY_KEPT_MS, idempotentResourceId } from '../../src/event-store/idempotency-key.js';
import { SqliteEventStore } from '../../src/event-store/sqlite-event-store.js';
import { streams } from '../../src/event-store/streams.js';

describe('the resource id an Idempotency-Key derives', () => {
  const now = '2026-12-03T12:00:00.000Z';
  const ago = (ms: number) => new Date(Date.parse(now) - ms).toISOString();
  const scope = (key: string) => ({ workspaceId: 'ws-1', route: 'connect_webviews/create', key });

  it('is the same for 24 h after its resource was created, and then the next generation: a new resource', async () => {
    const store = new SqliteEventStore(join(mkdtempSync(join(tmpdir(), 'cms-idem-')), 'events.db'));
    const idOf = (key: string, at = now) => idempotentResourceId(store, streams.connectWebview, scope(key), at);
    const createdAt = async (id: string, recordedAt: string) =>
      store.append(
        streams.connectWebview(id),
        [{ id: randomUUID(), type: 'ConnectWebviewCreated', data: {}, metadata: {}, recordedAt }],
        { expectedRevision: 'no_stream' },
      );

    const fresh = await idOf('fresh');
    expect(await idOf('fresh')).toBe(fresh); // derived, not drawn: every instance derives it
    await createdAt(fresh, ago(IDEMPOTENCY_KEY_KEPT_MS - 60_000));
    expect(await idOf('fresh')).toBe(fresh);

    const old = await idOf('old');
    await createdAt(old, ago(IDEMPOTENCY_KEY_KEPT_MS + 60_000));
    const next = await idOf('old');
    expect(next).not.toBe(old);
    expect(await idOf('old')).toBe(next);

    expect(await idOf('other')).not.toBe(fresh); // keys, routes and workspaces are apart
    expect(
      await idempotentResourceId(store, streams.webhook, { ...scope('fresh'), route: 'webhooks/create' }, now),
    ).not.toBe(fresh);
    expect(
      await idempotentResourceId(store, streams.connectWebview, { ...scope('fresh'), workspaceId: 'ws-2' }, now),
    ).not.toBe(fresh);
    await store.close();
  });
});
