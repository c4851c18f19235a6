import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataKeys } from '../../src/encryption/data-keys.js';
import { PostgresKeyStore, SqliteKeyStore } from '../../src/encryption/key-store.js';
import { SealedEventStore } from '../../src/encryption/sealed-event-store.js';
import type { EventStore } from '../../src/event-store/event-store.js';

/**
 * An adapter with encryption on, as the service opens it: events sealed above the port, keys in a key
 * store of their own (a SQLite file in `keysDir`, or the PostgreSQL database at `keyStoreUrl`).
 */
export function sealed(inner: EventStore, keys: { keysDir: string } | { keyStoreUrl: string; keysDir: string }) {
  const store =
    'keyStoreUrl' in keys ? new PostgresKeyStore(keys.keyStoreUrl) : new SqliteKeyStore(join(keys.keysDir, 'keys.db'));
  return new SealedEventStore(inner, new DataKeys(store, { generatedIn: join(keys.keysDir, 'master.key') }));
}

export const newKeysDir = () => mkdtempSync(join(tmpdir(), 'cms-keys-'));
