import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  DuplicateEventIdError,
  WrongExpectedRevisionError,
  type EventStore,
  type NewEvent,
  type RecordedEvent,
} from '../../src/event-store/event-store.js';

/**
 * The port contract (src/event-store/event-store.ts), run against every adapter. It only assumes a store that others may
 * share: streams are unique per test and global reads are checked relative to the head seen at the start.
 */
export interface EventStoreFixture {
  create(): Promise<EventStore>;
  /** The same log for another OS process (test/support/store-child.mjs), as the CLI or a second instance. */
  otherProcess: {
    kind: 'sqlite' | 'postgres' | 'eventstoredb';
    location: string;
    /** With encryption on: where the key store is (store-child.mjs seals with the same keys). */
    sealed?: { keysDir: string; keyStoreUrl?: string };
  };
  /** SQLite refuses an event id used in any stream; EventStoreDB's idempotence is per stream. */
  uniqueEventIdsAcrossStreams: boolean;
}

export function event(type = 'Thing', data: unknown = { n: 1 }): NewEvent {
  return { id: randomUUID(), type, data, metadata: { schema_version: 1, correlation_id: randomUUID() } };
}

const stream = () => `test-${randomUUID()}`;

const run = promisify(execFile);
const storeChild = join(import.meta.dirname, '../support/store-child.mjs');

async function inAnotherProcess(fixture: EventStoreFixture, ...args: string[]): Promise<string> {
  const { kind, location, sealed } = fixture.otherProcess;
  const env = sealed
    ? { ...process.env, SEALED_KEYS_DIR: sealed.keysDir, SEALED_KEY_STORE_URL: sealed.keyStoreUrl ?? '' }
    : process.env;
  return (await run(process.execPath, [storeChild, kind, location, ...args], { env })).stdout;
}

async function collect(
  store: EventStore,
  afterPosition: number,
  until: (events: RecordedEvent[]) => boolean,
): Promise<RecordedEvent[]> {
  const abort = new AbortController();
  const seen: RecordedEvent[] = [];
  const timeout = setTimeout(() => abort.abort(), 10_000);
  try {
    for await (const batch of store.subscribeToAll({ afterPosition, signal: abort.signal })) {
      seen.push(...batch);
      if (until(seen)) break;
    }
  } finally {
    clearTimeout(timeout);
    abort.abort();
  }
  return seen;
}

export function eventStoreContract(name: string, fixture: EventStoreFixture): void {
  describe(`event store contract: ${name}`, () => {
    let store: EventStore;
    beforeAll(async () => {
      store = await fixture.create();
    });
    afterAll(async () => {
      await store.close();
    });

    it('appends to a new stream and reads every field back', async () => {
      const s = stream();
      const events = [event('A', { a: 1, nested: { k: ['x'] } }), event('B', { b: true })];
      const result = await store.append(s, events, { expectedRevision: 'no_stream' });
      expect(result.nextExpectedRevision).toBe(1);
      const read = await store.readStream(s);
      expect(read.map((e) => [e.id, e.type, e.stream, e.revision, e.data, e.metadata])).toEqual([
        [events[0].id, 'A', s, 0, { a: 1, nested: { k: ['x'] } }, events[0].metadata],
        [events[1].id, 'B', s, 1, { b: true }, events[1].metadata],
      ]);
      expect(read[0].position).toBeLessThan(read[1].position);
      expect(read[1].position).toBe(result.position);
      expect(Number.isNaN(Date.parse(read[0].recordedAt))).toBe(false);
    });

    it('keeps metadata keys such as __proto__ as ordinary data', async () => {
      const s = stream();
      const data = JSON.parse('{"custom_metadata":{"__proto__":"x","constructor":true}}');
      await store.append(s, [event('A', data)], { expectedRevision: 'no_stream' });
      const [read] = await store.readStream(s);
      expect(Object.keys((read.data as { custom_metadata: object }).custom_metadata)).toEqual([
        '__proto__',
        'constructor',
      ]);
    });

    it('reads a missing stream as empty', async () => {
      expect(await store.readStream(stream())).toEqual([]);
    });

    it('checks no_stream, stream_exists, any and exact revisions', async () => {
      const s = stream();
      await expect(store.append(s, [event()], { expectedRevision: 'stream_exists' })).rejects.toBeInstanceOf(
        WrongExpectedRevisionError,
      );
      await expect(store.append(s, [event()], { expectedRevision: 3 })).rejects.toBeInstanceOf(
        WrongExpectedRevisionError,
      );
      await store.append(s, [event()], { expectedRevision: 'no_stream' });
      const conflict = await store.append(s, [event()], { expectedRevision: 'no_stream' }).catch((e: unknown) => e);
      expect(conflict).toBeInstanceOf(WrongExpectedRevisionError);
      expect((conflict as WrongExpectedRevisionError).actual).toBe(0);
      expect((await store.append(s, [event()], { expectedRevision: 'stream_exists' })).nextExpectedRevision).toBe(1);
      expect((await store.append(s, [event()], { expectedRevision: 1 })).nextExpectedRevision).toBe(2);
      await expect(store.append(s, [event()], { expectedRevision: 1 })).rejects.toBeInstanceOf(
        WrongExpectedRevisionError,
      );
      expect((await store.append(s, [event()], { expectedRevision: 'any' })).nextExpectedRevision).toBe(3);
      expect((await store.readStream(s)).map((e) => e.revision)).toEqual([0, 1, 2, 3]);
    });

    (fixture.uniqueEventIdsAcrossStreams ? it : it.skip)('appends all events of one call or none', async () => {
      const taken = event();
      await store.append(stream(), [taken], { expectedRevision: 'no_stream' });
      const s = stream();
      await expect(store.append(s, [event(), { ...taken }], { expectedRevision: 'no_stream' })).rejects.toBeInstanceOf(
        DuplicateEventIdError,
      );
      expect(await store.readStream(s)).toEqual([]);
    });

    it('treats the same event ids appended again as a no-op returning the first result', async () => {
      const s = stream();
      const events = [event(), event()];
      const first = await store.append(s, events, { expectedRevision: 'no_stream' });
      const again = await store.append(s, events, { expectedRevision: 'no_stream' });
      expect(again).toEqual(first);
      const later = await store.append(s, [event()], { expectedRevision: 1 });
      expect(await store.append(s, events, { expectedRevision: 'any' })).toEqual(first);
      expect((await store.readStream(s)).length).toBe(3);
      expect(later.nextExpectedRevision).toBe(2);
    });

    it('reads a stream backwards, from a revision, a bounded count', async () => {
      const s = stream();
      await store.append(
        s,
        [0, 1, 2, 3, 4].map((n) => event('N', { n })),
        { expectedRevision: 'no_stream' },
      );
      const revisions = (events: RecordedEvent[]) => events.map((e) => e.revision);
      expect(revisions(await store.readStream(s, { direction: 'backwards' }))).toEqual([4, 3, 2, 1, 0]);
      expect(revisions(await store.readStream(s, { direction: 'backwards', fromRevision: 2, maxCount: 2 }))).toEqual([
        2, 1,
      ]);
      expect(revisions(await store.readStream(s, { fromRevision: 3 }))).toEqual([3, 4]);
      expect(revisions(await store.readStream(s, { maxCount: 2 }))).toEqual([0, 1]);
    });

    it('reads a stream filtered by type and by recording time, the count taken after the filter', async () => {
      const s = stream();
      await store.append(s, [event('A'), event('B'), event('A')], { expectedRevision: 'no_stream' });
      const [first] = await store.readStream(s, { maxCount: 1 });
      await new Promise((resolve) => setTimeout(resolve, 5));
      await store.append(s, [event('B'), event('A')], { expectedRevision: 2 });
      const revisions = (events: RecordedEvent[]) => events.map((e) => e.revision);
      expect(revisions(await store.readStream(s, { types: { only: ['A'] } }))).toEqual([0, 2, 4]);
      expect(revisions(await store.readStream(s, { types: { except: ['A'] } }))).toEqual([1, 3]);
      expect(revisions(await store.readStream(s, { recordedUpTo: first.recordedAt }))).toEqual([0, 1, 2]);
      expect(
        revisions(
          await store.readStream(s, {
            direction: 'backwards',
            types: { only: ['A'] },
            recordedUpTo: first.recordedAt,
            maxCount: 1,
          }),
        ),
      ).toEqual([2]);
    });

    it('reads the global log in order after a position', async () => {
      const head = await store.headPosition();
      const [a, b] = [stream(), stream()];
      await store.append(a, [event('A1')], { expectedRevision: 'no_stream' });
      await store.append(b, [event('B1')], { expectedRevision: 'no_stream' });
      await store.append(a, [event('A2')], { expectedRevision: 0 });
      const mine = (await store.readAll({ afterPosition: head })).filter((e) => e.stream === a || e.stream === b);
      expect(mine.map((e) => e.type)).toEqual(['A1', 'B1', 'A2']);
      const afterFirst = await store.readAll({ afterPosition: mine[0].position, maxCount: 1 });
      expect(afterFirst).toHaveLength(1);
      expect(afterFirst[0].position).toBeGreaterThan(mine[0].position);
      expect(await store.headPosition()).toBeGreaterThanOrEqual(mine[2].position);
    });

    it('subscribes from a position: past events first, then live ones, in order', async () => {
      const s = stream();
      await store.append(s, [event('Before')], { expectedRevision: 'no_stream' });
      const [before] = await store.readStream(s);
      await store.append(s, [event('Past')], { expectedRevision: 0 });
      const seen = collect(store, before.position, (events) => events.some((e) => e.stream === s && e.type === 'Live'));
      await new Promise((resolve) => setTimeout(resolve, 50));
      await store.append(s, [event('Live')], { expectedRevision: 1 });
      const types = (await seen).filter((e) => e.stream === s).map((e) => e.type);
      expect(types).toEqual(['Past', 'Live']);
    });

    it('lets exactly one of many concurrent appenders win each revision', async () => {
      const s = stream();
      await store.append(s, [event()], { expectedRevision: 'no_stream' });
      for (let revision = 0; revision < 5; revision++) {
        const attempts = await Promise.allSettled(
          Array.from({ length: 20 }, () => store.append(s, [event()], { expectedRevision: revision })),
        );
        const won = attempts.filter((a) => a.status === 'fulfilled');
        const lost = attempts.filter((a): a is PromiseRejectedResult => a.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost.every((a) => a.reason instanceof WrongExpectedRevisionError)).toBe(true);
      }
      expect((await store.readStream(s)).map((e) => e.revision)).toEqual([0, 1, 2, 3, 4, 5]);
    });

    it('delivers to a subscriber an event appended by another process', async () => {
      const s = stream();
      const head = await store.headPosition();
      const seen = collect(store, head, (events) => events.some((e) => e.stream === s));
      const fromElsewhere = event('FromAnotherProcess', { hello: 'world' });
      await inAnotherProcess(fixture, 'append', s, JSON.stringify(fromElsewhere));
      const delivered = (await seen).filter((e) => e.stream === s);
      expect(delivered.map((e) => [e.id, e.type, e.data])).toEqual([
        [fromElsewhere.id, 'FromAnotherProcess', { hello: 'world' }],
      ]);
    });

    it('gives each revision to exactly one of 4 processes racing on one stream', async () => {
      const s = stream();
      const results = await Promise.all(
        [1, 2, 3, 4].map(async () => JSON.parse(await inAnotherProcess(fixture, 'race', s, '40'))),
      );
      const won = results.reduce((sum, r: { won: number }) => sum + r.won, 0);
      expect((await store.readStream(s)).map((e) => e.revision)).toEqual(Array.from({ length: won }, (_, i) => i));
      expect(results.every((r: { won: number; lost: number }) => r.won + r.lost === 40)).toBe(true);
      expect(won).toBeGreaterThanOrEqual(40);
    }, 60_000);
  });
}
