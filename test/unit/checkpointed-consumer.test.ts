import { describe, expect, it } from '@jest/globals';
import { CheckpointedConsumer } from '../../src/event-store/checkpointed-consumer.js';
import {
  EventStoreUnavailableError,
  type EventStore,
  type RecordedEvent,
  type SubscribeToAllOptions,
} from '../../src/event-store/event-store.js';

const event = (position: number): RecordedEvent => ({
  id: `e${position}`,
  type: 'Thing',
  stream: 's',
  revision: position - 1,
  position,
  data: {},
  metadata: { schema_version: 1 },
  recordedAt: new Date(0).toISOString(),
});

/** A store whose subscription drops once, after delivering two events: what a lost connection does. */
function droppingStore(total: number): EventStore & { subscriptions: number[] } {
  const subscriptions: number[] = [];
  return {
    subscriptions,
    async *subscribeToAll({ afterPosition, signal }: SubscribeToAllOptions) {
      subscriptions.push(afterPosition);
      let delivered = 0;
      for (let position = afterPosition + 1; position <= total; position++) {
        if (subscriptions.length === 1 && delivered === 2) throw new EventStoreUnavailableError('connection lost');
        yield [event(position)];
        delivered++;
      }
      while (!signal?.aborted) await new Promise((resolve) => setTimeout(resolve, 10));
    },
  } as unknown as EventStore & { subscriptions: number[] };
}

describe('CheckpointedConsumer', () => {
  it('resubscribes from its checkpoint after a dropped subscription, handling every event exactly once', async () => {
    const store = droppingStore(5);
    const handled: number[] = [];
    let checkpoint = 0;
    const errors: string[] = [];
    const consumer = new CheckpointedConsumer(
      'test',
      store,
      {
        loadCheckpoint: () => checkpoint,
        handle: (events) => {
          handled.push(...events.map((e) => e.position));
          checkpoint = events[events.length - 1].position;
        },
      },
      { log: () => undefined, error: (message) => errors.push(message) },
      { maxBackoffMs: 20 },
    );
    consumer.start();
    await consumer.waitForPosition(5, 5000);
    await consumer.stop();
    expect(handled).toEqual([1, 2, 3, 4, 5]);
    expect(store.subscriptions).toEqual([0, 2]);
    expect(errors[0]).toContain('connection lost');
    expect(consumer.status()).toMatchObject({ failing: false, position: 5, lastError: null });
  });

  it('retries a failing handler on the same event until it passes, reporting the failure meanwhile', async () => {
    const store = droppingStore(0);
    let attempts = 0;
    let checkpoint = 0;
    const flaky: EventStore = {
      ...store,
      async *subscribeToAll({ afterPosition, signal }: SubscribeToAllOptions) {
        if (afterPosition < 1) yield [event(1)];
        while (!signal?.aborted) await new Promise((resolve) => setTimeout(resolve, 10));
      },
    } as unknown as EventStore;
    const consumer = new CheckpointedConsumer(
      'flaky',
      flaky,
      {
        loadCheckpoint: () => checkpoint,
        handle: () => {
          attempts++;
          if (attempts < 3) throw new Error(`attempt ${attempts} failed`);
          checkpoint = 1;
        },
      },
      { log: () => undefined, error: () => undefined },
      { maxBackoffMs: 20 },
    );
    consumer.start();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(consumer.status().failing).toBe(true);
    await consumer.waitForPosition(1, 5000);
    await consumer.stop();
    expect(attempts).toBe(3);
    expect(consumer.status().failing).toBe(false);
  });
});
