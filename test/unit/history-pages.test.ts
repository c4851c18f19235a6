import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { customMetadataHistoryAfter } from '../../src/audit/audit.js';
import { NotFound } from '../../src/common/domain-errors.js';
import { SqliteEventStore } from '../../src/event-store/sqlite-event-store.js';
import type { EventStore } from '../../src/event-store/event-store.js';
import { metadataSetEvent } from '../support/domain-fixtures.js';

const resource = { type: 'device', idField: 'device_id', id: 'd1' } as const;

describe('custom_metadata_history pages', () => {
  it('reads a page from its revision on, in one read, whatever else the stream holds', async () => {
    const store = new SqliteEventStore(join(mkdtempSync(join(tmpdir(), 'cms-history-')), 'events.db'));
    const reads: (number | undefined)[] = [];
    const watched = Object.assign(Object.create(store) as EventStore, {
      readStream: (stream: string, options?: Parameters<EventStore['readStream']>[1]) => {
        reads.push(options?.fromRevision);
        return store.readStream(stream, options);
      },
    });
    // 450 events: a rename, then a metadata change, in turns. Revisions 1, 3, 5, … are MetadataSet.
    const events = Array.from({ length: 450 }, (_, i) =>
      i % 2 === 0
        ? { type: 'DeviceRenamed', data: { device_id: 'd1', workspace_id: 'w1', name: `n${i}` } }
        : metadataSetEvent({
            resource_type: 'device',
            resource_id: 'd1',
            previous: {},
            next: { i: `${i}` },
            cause: { type: 'api_update' },
          }),
    );
    await store.append(
      'device-d1',
      events.map((event, i) => ({ id: `e${i}`, type: event.type, data: event.data, metadata: {} })),
      { expectedRevision: 'no_stream' },
    );

    const first = await customMetadataHistoryAfter(watched, resource, 'w1', -1, 3);
    expect(first.map((e) => e.revision)).toEqual([1, 3, 5]);
    reads.length = 0;
    const later = await customMetadataHistoryAfter(watched, resource, 'w1', 395, 4);
    expect(later.map((e) => e.revision)).toEqual([397, 399, 401, 403]);
    // The owner check, then one chunk from revision 396: nothing before it is read.
    expect(reads).toEqual([undefined, 396]);
    const acrossChunks = await customMetadataHistoryAfter(watched, resource, 'w1', 0, 150);
    expect(acrossChunks.map((e) => e.revision)).toEqual(Array.from({ length: 150 }, (_, i) => 1 + 2 * i));
    await expect(customMetadataHistoryAfter(watched, resource, 'w2', -1, 3)).rejects.toBeInstanceOf(NotFound);
    await store.close();
  });
});
