import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '../../src/event-store/sqlite-event-store.js';
import { eventStoreContract } from './event-store-contract.js';
import { newKeysDir, sealed } from '../support/sealed-store.js';

const dbPath = join(mkdtempSync(join(tmpdir(), 'cms-sqlite-')), 'events.db');

eventStoreContract('sqlite', {
  create: async () => new SqliteEventStore(dbPath),
  otherProcess: { kind: 'sqlite', location: dbPath },
  uniqueEventIdsAcrossStreams: true,
});

const sealedPath = join(mkdtempSync(join(tmpdir(), 'cms-sqlite-sealed-')), 'events.db');
const keysDir = newKeysDir();
eventStoreContract('sqlite, encryption on', {
  create: async () => sealed(new SqliteEventStore(sealedPath), { keysDir }),
  otherProcess: { kind: 'sqlite', location: sealedPath, sealed: { keysDir } },
  uniqueEventIdsAcrossStreams: true,
});
