import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { deviceDecider } from '../../src/devices/device.js';
import { handleCommand } from '../../src/event-store/decider.js';
import type { EventStore } from '../../src/event-store/event-store.js';
import { SqliteEventStore } from '../../src/event-store/sqlite-event-store.js';

const actor = { type: 'cli' } as const;

/** Every stream read waits until all the given number of readers have read: they all decide on the same revision. */
function lockstepReads(store: EventStore, readers: number): EventStore {
  let waiting: (() => void)[] = [];
  let firstRound = true;
  return Object.assign(Object.create(store) as EventStore, {
    readStream: async (...args: Parameters<EventStore['readStream']>) => {
      const events = await store.readStream(...args);
      if (firstRound) {
        await new Promise<void>((resolve) => {
          waiting.push(resolve);
          if (waiting.length === readers) {
            firstRound = false;
            waiting.forEach((r) => r());
            waiting = [];
          }
        });
      }
      return events;
    },
    append: store.append.bind(store),
  });
}

describe('handleCommand', () => {
  it('re-decides on a conflict, so concurrent updates that read the same revision are all kept', async () => {
    const store = new SqliteEventStore(join(mkdtempSync(join(tmpdir(), 'cms-decider-')), 'events.db'));
    const stream = 'device-d1';
    const device = {
      device_id: 'd1',
      workspace_id: 'w1',
      connected_account_id: 'a1',
      connect_webview_id: 'c1',
      provider: 'august' as const,
      device_type: 'august_lock',
      name: 'Door',
      model: 'm',
    };
    await handleCommand(store, stream, deviceDecider, { type: 'AddDevice', device, actor, now: 'now' });

    const racing = lockstepReads(store, 5);
    await Promise.all(
      [0, 1, 2, 3, 4].map((i) =>
        handleCommand(racing, stream, deviceDecider, {
          type: 'UpdateDevice',
          deviceId: 'd1',
          workspaceId: 'w1',
          customMetadata: { [`k${i}`]: 'v' },
          actor,
          now: 'now',
        }),
      ),
    );
    const metadataEvents = (await store.readStream(stream)).filter((e) => e.type === 'MetadataSet');
    const last = metadataEvents[metadataEvents.length - 1].data as { custom_metadata: Record<string, string> };
    expect(Object.keys(last.custom_metadata).sort()).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
    // One initial {} plus one per update: nobody's change was decided on a stale state and lost.
    expect(metadataEvents).toHaveLength(6);
    await store.close();
  });
});
