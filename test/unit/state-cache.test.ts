import { describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { SqliteEventStore } from '../../src/event-store/sqlite-event-store.js';
import { estimateBytes, StateCache } from '../../src/event-store/state-cache.js';
import type { Decider } from '../../src/event-store/decider.js';

// A decider whose state is the text of its events: its size is whatever the tenant wrote.
const textDecider: Decider<never, { type: 'Written'; data: { text: string } }, { text: string }> = {
  initialState: () => ({ text: '' }),
  evolve: (state, event) => ({ text: state.text + event.data.text }),
  decide: () => [],
};

describe('the state cache', () => {
  it('holds at most its bound in bytes, however large the states are: fewer streams, not more memory', async () => {
    const store = new SqliteEventStore(join(mkdtempSync(join(tmpdir(), 'cms-state-cache-')), 'events.db'));
    const cache = new StateCache(1024 * 1024);
    try {
      for (let i = 0; i < 40; i++) {
        const stream = `text-${i}`;
        const data = { text: 'x'.repeat(100_000) }; // about 200 KB in memory
        await store.append(stream, [{ id: randomUUID(), type: 'Written', data, metadata: {} }], {
          expectedRevision: 'no_stream',
        });
        expect((await cache.current(store, stream, textDecider)).state.text).toHaveLength(100_000);
        expect(cache.usage().bytes).toBeLessThanOrEqual(1024 * 1024);
      }
      const usage = cache.usage();
      expect(usage.streams).toBeGreaterThanOrEqual(4);
      expect(usage.streams).toBeLessThanOrEqual(5);
      // One that fell out is folded from the log again, whole.
      expect((await cache.current(store, 'text-0', textDecider)).state.text).toHaveLength(100_000);
      // A state larger than the whole cache is not kept at all.
      const small = new StateCache(100_000);
      expect((await small.current(store, 'text-1', textDecider)).state.text).toHaveLength(100_000);
      expect(small.usage()).toEqual({ streams: 0, bytes: 0, limitBytes: 100_000 });
    } finally {
      await store.close();
    }
  });

  it('estimates sizes by walking the value: strings at two bytes a character', () => {
    expect(estimateBytes('x'.repeat(1000))).toBeGreaterThanOrEqual(2000);
    const metadata = Object.fromEntries(Array.from({ length: 50 }, (_, k) => [`key_${k}`, 'v'.repeat(500)]));
    expect(estimateBytes({ custom_metadata: metadata })).toBeGreaterThan(50 * 1000);
    expect(estimateBytes({ custom_metadata: metadata })).toBeLessThan(60 * 1000);
  });
});
