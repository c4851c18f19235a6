import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { SqliteEventStore } from '../../src/event-store/sqlite-event-store.js';
import { eventStoreContract } from './event-store-contract.js';

const run = promisify(execFile);
const child = join(import.meta.dirname, '../support/sqlite-child.mjs');
const dbPath = join(mkdtempSync(join(tmpdir(), 'cms-sqlite-')), 'events.db');

eventStoreContract('sqlite', {
  create: async () => new SqliteEventStore(dbPath),
  appendFromAnotherProcess: async (stream, event) => {
    await run(process.execPath, [child, dbPath, 'append', stream, JSON.stringify(event)]);
  },
  uniqueEventIdsAcrossStreams: true,
});

describe('sqlite event store across processes', () => {
  it('gives each revision to exactly one of several processes racing on one stream', async () => {
    const stream = 'race-across-processes';
    const results = await Promise.all(
      [1, 2, 3, 4].map(() =>
        run(process.execPath, [child, dbPath, 'race', stream, '40']).then((r) => JSON.parse(r.stdout)),
      ),
    );
    const won = results.reduce((sum, r: { won: number }) => sum + r.won, 0);
    const store = new SqliteEventStore(dbPath);
    const events = await store.readStream(stream);
    await store.close();
    expect(events.map((e) => e.revision)).toEqual(Array.from({ length: won }, (_, i) => i));
    expect(results.every((r: { won: number; lost: number }) => r.won + r.lost === 40)).toBe(true);
    expect(won).toBeGreaterThanOrEqual(40);
  });
});
