import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '../../src/event-store/sqlite-event-store.js';
import { eventStoreContract } from './event-store-contract.js';

const dbPath = join(mkdtempSync(join(tmpdir(), 'cms-sqlite-')), 'events.db');

eventStoreContract('sqlite', {
  create: async () => new SqliteEventStore(dbPath),
  otherProcess: { kind: 'sqlite', location: dbPath },
  uniqueEventIdsAcrossStreams: true,
});
