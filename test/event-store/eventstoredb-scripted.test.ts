import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { EventStoreDbEventStore, type EventStoreDbClientApi } from '../../src/event-store/eventstoredb-event-store.js';

/**
 * The EventStoreDB adapter against a scripted client, typed as the real client's API: `$all` as a cluster
 * really has it, with system events (`$stats-…`, `$…` types) and other applications' streams between ours.
 * The contract suite runs the adapter against a real server wherever one can start.
 */
interface ScriptedEvent {
  streamId: string;
  id: string;
  type: string;
  revision: bigint;
  data: unknown;
  metadata: unknown;
  isJson: boolean;
  created: Date;
  position: { commit: bigint; prepare: bigint };
}

class ScriptedAll {
  readonly events: ScriptedEvent[] = [];
  readonly readAllCalls: unknown[] = [];
  subscribeOptions: unknown;

  add(streamId: string, type: string, count = 1): this {
    for (let i = 0; i < count; i++) {
      const position = BigInt((this.events.length + 1) * 100);
      this.events.push({
        streamId,
        id: randomUUID(),
        type,
        revision: BigInt(this.events.filter((e) => e.streamId === streamId).length),
        data: {},
        metadata: { schema_version: 1 },
        isJson: true,
        created: new Date(),
        position: { commit: position, prepare: position },
      });
    }
    return this;
  }

  readonly cancelled: string[] = [];

  client({ hanging = false } = {}): EventStoreDbClientApi {
    const { events, readAllCalls, cancelled } = this;
    const recordSubscription = (options: unknown) => (this.subscribeOptions = options);
    const api = {
      // Reads from a position include the event there, both ways: the harder case for the adapter.
      readAll(options: { direction?: string; fromPosition?: unknown; maxCount?: bigint | number } = {}) {
        readAllCalls.push(options);
        const backwards = options.direction === 'backwards';
        const max = Number(options.maxCount ?? Number.MAX_SAFE_INTEGER);
        const from = options.fromPosition;
        const ordered = backwards ? [...events].reverse() : events;
        const selected = ordered.filter((event) => {
          if (from === 'start' || from === 'end' || from === undefined) return true;
          const commit = (from as { commit: bigint }).commit;
          return backwards ? event.position.commit <= commit : event.position.commit >= commit;
        });
        if (hanging) {
          // A server that accepts and never answers: the read waits forever.
          const never = (async function* () {
            yield await new Promise<{ event: ScriptedEvent }>(() => undefined);
          })();
          return Object.assign(never, { cancel: async () => void cancelled.push('readAll') });
        }
        return Object.assign(
          (async function* () {
            for (const event of selected.slice(0, max)) yield { event };
          })(),
          { cancel: async () => undefined },
        );
      },
      readStream() {
        return Object.assign((async function* () {})(), { cancel: async () => undefined });
      },
      subscribeToAll(options: unknown) {
        recordSubscription(options);
        // What the server has for the subscription: every scripted event, already received.
        const received = (async function* () {
          for (const event of events) yield { event };
        })();
        return Object.assign(received, { unsubscribe: async () => undefined });
      },
      appendToStream: async () => ({ success: true, nextExpectedRevision: 0n, position: { commit: 0n, prepare: 0n } }),
      dispose: async () => undefined,
    };
    return api as unknown as EventStoreDbClientApi;
  }
}

const ours = (stream = `device-${randomUUID()}`) => stream;

describe('EventStoreDB adapter, against a scripted $all', () => {
  it('finds the head past 600 trailing $stats events', async () => {
    const all = new ScriptedAll().add(ours(), 'DeviceAdded', 3).add('$stats-127.0.0.1:2113', '$statsCollected', 600);
    const store = new EventStoreDbEventStore(all.client());
    expect(await store.headPosition()).toBe(300);
    expect(all.readAllCalls.length).toBeGreaterThan(1); // it paged backwards, 500 at a time
  });

  it('answers 0 for a store that holds only system events and other applications’ streams', async () => {
    const all = new ScriptedAll()
      .add('$stats-127.0.0.1:2113', '$statsCollected', 700)
      .add('orders-1', 'OrderPlaced', 400)
      .add('$$orders-1', '$metadata');
    expect(await new EventStoreDbEventStore(all.client()).headPosition()).toBe(0);
  });

  it('reads $all past pages made only of system and foreign events, to the true end', async () => {
    const all = new ScriptedAll()
      .add(ours('workspace-w1'), 'WorkspaceCreated')
      .add('$stats-127.0.0.1:2113', '$statsCollected', 1200)
      .add('orders-1', 'OrderPlaced', 300)
      .add(ours('device-d1'), 'DeviceAdded')
      .add('$stats-127.0.0.1:2113', '$statsCollected', 600)
      .add(ours('device-d1'), 'MetadataSet');
    const store = new EventStoreDbEventStore(all.client());
    const everything = await store.readAll();
    expect(everything.map((e) => `${e.stream} ${e.type}`)).toEqual([
      'workspace-w1 WorkspaceCreated',
      'device-d1 DeviceAdded',
      'device-d1 MetadataSet',
    ]);
    // After the first event, two at most: the two later ones, though 1,500 others lie between.
    const after = await store.readAll({ afterPosition: everything[0].position, maxCount: 2 });
    expect(after.map((e) => e.type)).toEqual(['DeviceAdded', 'MetadataSet']);
    // Paged reads give each event once, however the pages fall.
    const paged = [];
    let position = 0;
    for (;;) {
      const page = await store.readAll({ afterPosition: position, maxCount: 1 });
      if (page.length === 0) break;
      paged.push(page[0].type);
      position = page[0].position;
    }
    expect(paged).toEqual(['WorkspaceCreated', 'DeviceAdded', 'MetadataSet']);
    expect(await store.headPosition()).toBe(everything[2].position);
  });

  it('subscribes to this service’s stream prefixes only', async () => {
    const all = new ScriptedAll();
    const store = new EventStoreDbEventStore(all.client());
    const abort = new AbortController();
    abort.abort();
    for await (const batch of store.subscribeToAll({ afterPosition: 0, signal: abort.signal })) void batch;
    const filter = (all.subscribeOptions as { filter: { filterOn: string; prefixes: string[] } }).filter;
    expect(filter.filterOn).toBe('streamName');
    expect(filter.prefixes.sort()).toEqual(
      [
        'connect_webview-',
        'connected_account-',
        'device-',
        'service_account-id-key',
        'service_log-identity',
        'webhook-',
        'workspace-',
      ].sort(),
    );
  });

  it('hands a catch-up what the subscription has received in batches of up to maxBatchSize', async () => {
    const all = new ScriptedAll().add(ours('device-d1'), 'MetadataSet', 1200).add('$stats-1', '$statsCollected', 50);
    const store = new EventStoreDbEventStore(all.client());
    const sizes: number[] = [];
    for await (const batch of store.subscribeToAll({ afterPosition: 0, maxBatchSize: 500 })) sizes.push(batch.length);
    expect(sizes).toEqual([500, 500, 200]);
  });

  it('cancels a read that misses its deadline, and answers EventStoreUnavailableError', async () => {
    const all = new ScriptedAll().add(ours(), 'DeviceAdded');
    const store = new EventStoreDbEventStore(all.client({ hanging: true }), 100);
    await expect(store.readAll()).rejects.toThrow(/did not answer a read of \$all within 100 ms/);
    expect(all.cancelled).toEqual(['readAll']);
  });
});
