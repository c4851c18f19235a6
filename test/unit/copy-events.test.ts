import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyEvents } from '../../src/event-store/copy-events.js';
import type { EventStore } from '../../src/event-store/event-store.js';
import { SqliteEventStore } from '../../src/event-store/sqlite-event-store.js';

describe('copy-events', () => {
  it('does not report a copy done when the target lost the last event', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cms-copy-'));
    const source = new SqliteEventStore(join(dir, 'source.db'));
    for (const stream of ['device-a', 'device-b']) {
      await source.append(stream, [{ id: randomUUID(), type: 'Noted', data: {}, metadata: { schema_version: 1 } }], {
        expectedRevision: 'no_stream',
      });
    }
    const real = new SqliteEventStore(join(dir, 'target.db'));
    // A target that acknowledges appends to device-b and keeps none of them.
    const lossy = Object.assign(Object.create(real) as EventStore, {
      append: (stream: string, ...rest: Parameters<EventStore['append']> extends [unknown, ...infer R] ? R : never) =>
        stream === 'device-b'
          ? Promise.resolve({ nextExpectedRevision: 0, position: 0 })
          : real.append(stream, ...rest),
      readStream: real.readStream.bind(real),
    });
    await expect(copyEvents(source, lossy, join(dir, 'checkpoint'))).rejects.toThrow(
      /the target does not hold the source's event .* \(device-b at revision 0\)/,
    );
    expect(await copyEvents(source, real, join(dir, 'checkpoint-2'))).toMatchObject({ copied: 2 });
    await source.close();
    await real.close();
  });
});
