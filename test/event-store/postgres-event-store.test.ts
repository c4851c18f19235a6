import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EventStoreUnavailableError, type RecordedEvent } from '../../src/event-store/event-store.js';
import { copyEvents } from '../../src/event-store/copy-events.js';
import { ensureLogIdentity } from '../../src/event-store/log-identity.js';
import { PostgresEventStore } from '../../src/event-store/postgres-event-store.js';
import { SqliteEventStore } from '../../src/event-store/sqlite-event-store.js';
import { postgresForTests } from '../support/postgres.js';
import { event, eventStoreContract } from './event-store-contract.js';
import { newKeysDir, sealed } from '../support/sealed-store.js';

/** The contract suite on a real PostgreSQL server (.ci/run starts one; see test/support/postgres.ts). */
const server = await postgresForTests('the PostgreSQL event store suites');

if ('skip' in server) {
  describe.skip('event store contract: postgres', () => {
    it(`skipped: ${server.skip}`, () => undefined);
  });
} else {
  const url = await server.createDatabase();
  afterAll(() => server.stop());

  eventStoreContract('postgres', {
    create: async () => new PostgresEventStore(url),
    otherProcess: { kind: 'postgres', location: url },
    uniqueEventIdsAcrossStreams: true,
  });

  // Encryption on, with the key store every instance shares: a table beside the log's.
  const keysDir = newKeysDir();
  eventStoreContract('postgres, encryption on', {
    create: async () => sealed(new PostgresEventStore(url), { keyStoreUrl: url, keysDir }),
    otherProcess: { kind: 'postgres', location: url, sealed: { keysDir, keyStoreUrl: url } },
    uniqueEventIdsAcrossStreams: true,
  });

  describe('postgres event store: global order under concurrent writers', () => {
    const writers: PostgresEventStore[] = [];
    let reader: PostgresEventStore;
    beforeAll(async () => {
      // 20 stores, each with its own connection pool: 20 writers whose transactions really run concurrently.
      for (let i = 0; i < 20; i++) writers.push(new PostgresEventStore(url, { maxConnections: 2 }));
      reader = new PostgresEventStore(url);
    });
    afterAll(async () => {
      await Promise.all([...writers, reader].map((store) => store.close()));
    });

    it('gives positions without gaps, in commit order, to 20 concurrent writers, seen in order by a subscriber', async () => {
      const start = await reader.headPosition();
      const perWriter = 50;
      const seen: RecordedEvent[] = [];
      const abort = new AbortController();
      const subscribed = (async () => {
        for await (const batch of reader.subscribeToAll({ afterPosition: start, signal: abort.signal })) {
          seen.push(...batch);
          if (seen.length >= 20 * perWriter) break;
        }
      })();
      const prefix = `gapless-${randomUUID()}`;
      await Promise.all(
        writers.map(async (writer, w) => {
          for (let n = 0; n < perWriter; n++) {
            // Two streams per writer, appended to at once: groups of several appends per transaction.
            await Promise.all(
              [0, 1].map((s) =>
                n % 2 === s
                  ? writer.append(`${prefix}-${w}-${s}`, [event('Written', { w, n })], { expectedRevision: 'any' })
                  : undefined,
              ),
            );
          }
        }),
      );
      const timeout = setTimeout(() => abort.abort(), 20_000);
      await subscribed;
      clearTimeout(timeout);
      abort.abort();
      const all = await reader.readAll({ afterPosition: start });
      expect(all).toHaveLength(20 * perWriter);
      expect(all.map((e) => e.position)).toEqual(Array.from({ length: 20 * perWriter }, (_, i) => start + 1 + i));
      // The subscriber, reading while they wrote, saw the same positions in the same order: none skipped.
      expect(seen.map((e) => e.position)).toEqual(all.map((e) => e.position));
      expect(await reader.headPosition()).toBe(start + 20 * perWriter);
    }, 60_000);

    it('commits appends that arrive together in one transaction, each checked on its own', async () => {
      const store = writers[0];
      const s = `grouped-${randomUUID()}`;
      const attempts = await Promise.allSettled([
        store.append(s, [event()], { expectedRevision: 'no_stream' }),
        store.append(s, [event()], { expectedRevision: 'no_stream' }), // loses: the first made the stream
        store.append(s, [event()], { expectedRevision: 0 }), // wins: decided after the first, in order
      ]);
      expect(attempts.map((a) => a.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect((await store.readStream(s)).map((e) => e.revision)).toEqual([0, 1]);
    });
  });

  describe('copy-events between SQLite and PostgreSQL', () => {
    it('copies SQLite into PostgreSQL and back losslessly: every field, position and the log id', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'cms-copy-pg-'));
      const source = new SqliteEventStore(join(dir, 'source.db'));
      const { logId } = await ensureLogIdentity(source);
      for (let i = 0; i < 1200; i++) {
        await source.append(`device-${i % 7}`, [event('MetadataSet', { custom_metadata: { n: String(i) } })], {
          expectedRevision: 'any',
        });
      }
      const viaPostgres = new PostgresEventStore(await server.createDatabase());
      const back = new SqliteEventStore(join(dir, 'back.db'));
      expect(await copyEvents(source, viaPostgres, join(dir, 'to-pg'))).toMatchObject({ samePositions: true });
      expect(await copyEvents(viaPostgres, back, join(dir, 'back'))).toMatchObject({ samePositions: true });
      const everything = async (store: SqliteEventStore | PostgresEventStore) => await store.readAll();
      const original = await everything(source);
      expect(await everything(viaPostgres)).toEqual(original);
      expect(await everything(back)).toEqual(original);
      expect((await ensureLogIdentity(back)).logId).toBe(logId);
      await Promise.all([source, viaPostgres, back].map((store) => store.close()));
    }, 60_000);
  });

  describe('postgres event store: a server that is not there', () => {
    it('fails each call with EventStoreUnavailableError within its deadline', async () => {
      const nowhere = new URL(url);
      nowhere.port = '1'; // nothing listens on port 1
      const store = new PostgresEventStore(nowhere.toString(), { deadlineMs: 500 });
      const started = Date.now();
      await expect(store.headPosition()).rejects.toBeInstanceOf(EventStoreUnavailableError);
      await expect(store.append('s', [event()], { expectedRevision: 'any' })).rejects.toBeInstanceOf(
        EventStoreUnavailableError,
      );
      expect(Date.now() - started).toBeLessThan(3000);
      await store.close();
    });
  });
}
