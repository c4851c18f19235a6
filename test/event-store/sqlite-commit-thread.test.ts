import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from '@jest/globals';
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
});
