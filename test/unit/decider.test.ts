import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { deviceDecider } from '../../src/devices/device.js';
import type { CommandMeta, Decider, DomainEvent } from '../../src/event-store/decider.js';
import { DeciderCommandHandler } from '../../src/event-store/decider-command-handler.js';
import type { EventStore } from '../../src/event-store/event-store.js';
import { SqliteEventStore } from '../../src/event-store/sqlite-event-store.js';

const actor = { type: 'cli' } as const;

/** Each view of a store stands for a process: it has a command handler of its own (lanes, state cache). */
const handlers = new WeakMap<EventStore, DeciderCommandHandler>();
function handleCommand<Command extends CommandMeta, Event extends DomainEvent, State>(
  store: EventStore,
  streamId: string,
  decider: Decider<Command, Event, State>,
  command: Command,
) {
  if (!handlers.has(store)) handlers.set(store, new DeciderCommandHandler(store));
  return handlers.get(store)!.handle({ decider, streamId }, command);
}

/**
 * `readers` views of one store, as separate processes sharing the log would have (each its own state cache
 * and command queue). Each view's first stream read waits until every view has read: they all decide on the
 * same revision.
 */
function lockstepProcesses(store: EventStore, readers: number): EventStore[] {
  let waiting: (() => void)[] = [];
  let firstRound = true;
  const view = () => {
    let first = true;
    return Object.assign(Object.create(store) as EventStore, {
      readStream: async (...args: Parameters<EventStore['readStream']>) => {
        const events = await store.readStream(...args);
        if (firstRound && first) {
          first = false;
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
  };
  return Array.from({ length: readers }, view);
}

describe('handleCommand', () => {
  it('re-decides on a conflict, so concurrent updates from processes that read the same revision are all kept', async () => {
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

    const processes = lockstepProcesses(store, 5);
    await Promise.all(
      [0, 1, 2, 3, 4].map((i) =>
        handleCommand(processes[i], stream, deviceDecider, {
          type: 'UpdateDevice',
          deviceId: 'd1',
          workspaceId: 'w1',
          managed: true,
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

/** A fresh store holding device `id`, and a view of it (another "process") whose calls `spy` sees. */
async function storeWithDevice(id: string, spy: (store: EventStore) => Partial<EventStore> = () => ({})) {
  const store = new SqliteEventStore(join(mkdtempSync(join(tmpdir(), 'cms-decider-')), 'events.db'));
  const view = Object.assign(Object.create(store) as EventStore, {
    readStream: store.readStream.bind(store),
    append: store.append.bind(store),
    ...spy(store),
  });
  const device = {
    device_id: id,
    workspace_id: 'w1',
    connected_account_id: 'a1',
    connect_webview_id: 'c1',
    provider: 'august' as const,
    device_type: 'august_lock',
    name: 'Door',
    model: 'm',
  };
  await handleCommand(view, `device-${id}`, deviceDecider, { type: 'AddDevice', device, actor, now: 'now' });
  const update = (through: EventStore, fields: { name?: string; customMetadata?: Record<string, string> }) =>
    handleCommand(through, `device-${id}`, deviceDecider, {
      type: 'UpdateDevice',
      deviceId: id,
      workspaceId: 'w1',
      managed: true,
      ...fields,
      actor,
      now: 'now',
    });
  return { store, view, update };
}

describe('handleCommand in one process', () => {
  it('queues commands to one stream, so 20 concurrent updates append without a single conflict', async () => {
    let conflicts = 0;
    const { store, view, update } = await storeWithDevice('d2', (store) => ({
      append: (...args: Parameters<EventStore['append']>) =>
        store.append(...args).catch((error: unknown) => {
          conflicts += 1;
          throw error;
        }),
    }));
    await Promise.all(Array.from({ length: 20 }, (_, i) => update(view, { customMetadata: { [`k${i}`]: 'v' } })));
    expect(conflicts).toBe(0);
    const [last] = await store.readStream('device-d2', { direction: 'backwards', maxCount: 1 });
    expect(Object.keys((last.data as { custom_metadata: object }).custom_metadata)).toHaveLength(20);
    await store.close();
  });

  it('decides on its cached state unread, and reads only what another process appended once the log refuses it', async () => {
    const reads: (number | undefined)[] = [];
    let conflicts = 0;
    const { store, view, update } = await storeWithDevice('d3', (store) => ({
      readStream: (stream: string, options?: Parameters<EventStore['readStream']>[1]) => {
        reads.push(options?.fromRevision);
        return store.readStream(stream, options);
      },
      append: (...args: Parameters<EventStore['append']>) =>
        store.append(...args).catch((error: unknown) => {
          conflicts += 1;
          throw error;
        }),
    }));
    await update(view, { customMetadata: { a: 'v' } });
    await update(view, { customMetadata: { b: 'v' } });
    expect([reads, conflicts]).toEqual([[undefined], 0]); // the second decided on the cached state
    // Another process (here: the store itself, not this view) appends; the view's next append is refused at
    // its revision, and the view reads only that process's event.
    await update(store, { customMetadata: { c: 'v' } });
    const result = await update(view, { customMetadata: { d: 'v' } });
    expect([reads, conflicts]).toEqual([[undefined, 4], 1]);
    expect(result.state.customMetadata).toEqual({ a: 'v', b: 'v', c: 'v', d: 'v' });
    await store.close();
  });

  it('never answers a no-op on its cached state: a change the cache would call done is checked against the log', async () => {
    const { store, view, update } = await storeWithDevice('d4');
    await update(view, { customMetadata: { k: 'mine' } });
    await update(store, { customMetadata: { k: 'theirs' } }); // another process; the view's cache still says mine
    const result = await update(view, { customMetadata: { k: 'mine' } });
    expect(result.events).toHaveLength(1);
    const [last] = await store.readStream('device-d4', { direction: 'backwards', maxCount: 1 });
    expect((last.data as { custom_metadata: object }).custom_metadata).toEqual({ k: 'mine' });
    await store.close();
  });
});

describe('commands queued together on one stream', () => {
  it('wait while one is appended, then are decided one after the other and appended at once; a refused one fails alone', async () => {
    let appends = 0;
    const { store, view, update } = await storeWithDevice('d4', (store) => ({
      append: (...args: Parameters<EventStore['append']>) => {
        appends += 1;
        return store.append(...args);
      },
    }));
    appends = 0;
    // The first goes at once, alone (the store's group commit is the only wait for a batch); the three that
    // arrive while it is being appended go together after it.
    const answers = await Promise.allSettled([
      update(view, { customMetadata: { a: '1' } }),
      update(view, { customMetadata: { b: '2' } }),
      update(view, { name: '   ' }),
      update(view, { customMetadata: { c: '3' } }),
    ]);
    expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(appends).toBe(2);
    const metadataSets = (await store.readStream('device-d4')).filter((e) => e.type === 'MetadataSet').slice(1);
    expect(metadataSets.map((e) => (e.data as { previous_custom_metadata: object }).previous_custom_metadata)).toEqual([
      {},
      { a: '1' },
      { a: '1', b: '2' },
    ]);
    await store.close();
  });
});
