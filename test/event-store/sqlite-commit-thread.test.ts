import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from '@jest/globals';
import { EventStoreUnavailableError } from '../../src/event-store/event-store.js';
import { SqliteEventStore } from '../../src/event-store/sqlite-event-store.js';

describe('SQLite commits on their own thread', () => {
  it('keeps the event loop turning while an append waits for the write lock, and lands it after', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'cms-commit-thread-')), 'events.db');
    const store = new SqliteEventStore(path);
    // Another process (the CLI, say) holds the log's write lock.
    const other = new DatabaseSync(path);
    other.exec('BEGIN IMMEDIATE');
    const append = store.append('s-1', [{ id: 'e1', type: 'Tested', data: {}, metadata: {} }], {
      expectedRevision: 'no_stream',
    });
    let ticks = 0;
    const ticking = setInterval(() => (ticks += 1), 10);
    await sleep(300);
    clearInterval(ticking);
    // On the event loop's thread, the append would have waited for the lock there, and no timer would fire.
    expect(ticks).toBeGreaterThanOrEqual(10);
    expect(await store.readAll()).toEqual([]);
    other.exec('COMMIT');
    other.close();
    expect(await append).toEqual({ nextExpectedRevision: 0, position: 1 });
    expect((await store.readAll()).map((event) => event.id)).toEqual(['e1']);
    await store.close();
  });

  it('answers a commit lost with its thread as unavailable, starts a new thread for the next, and refuses after close', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'cms-commit-thread-')), 'events.db');
    const store = new SqliteEventStore(path);
    const event = (id: string) => [{ id, type: 'Tested', data: {}, metadata: {} }];
    await store.append('s-1', event('e1'), { expectedRevision: 'no_stream' });
    // The thread dies (an out-of-memory kill, say) while a commit is in flight. Another connection holds the
    // write lock, so the commit is still waiting for it when the thread goes, whatever the timing.
    const other = new DatabaseSync(path);
    other.exec('BEGIN IMMEDIATE');
    const thread = (
      store as unknown as {
        commitThread: { worker: { terminate(): Promise<number> }; waiting: Map<number, unknown> };
      }
    ).commitThread;
    const lost = store.append('s-1', event('e2'), { expectedRevision: 0 });
    while (thread.waiting.size === 0) await new Promise((resolve) => setImmediate(resolve)); // handed to the thread
    await thread.worker.terminate();
    await expect(lost).rejects.toBeInstanceOf(EventStoreUnavailableError);
    other.exec('ROLLBACK');
    other.close();
    // Whether it landed or not, retrying with the same event id is safe, on a new thread.
    const retried = await store.append('s-1', event('e2'), { expectedRevision: 0 });
    const ids = (await store.readAll()).map((e) => e.id);
    expect(ids).toEqual(['e1', 'e2']);
    expect(retried).toMatchObject({ nextExpectedRevision: 1 });
    await store.close();
    await expect(store.append('s-2', event('e3'), { expectedRevision: 'no_stream' })).rejects.toBeInstanceOf(
      EventStoreUnavailableError,
    );
  });
});
