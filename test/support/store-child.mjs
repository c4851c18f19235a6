// Another OS process on the same log, with the built adapters (dist/): the CLI or a second instance would be.
// Usage: node store-child.mjs <sqlite|postgres|eventstoredb> <path or URL> append <stream> <event json>
//        node store-child.mjs <sqlite|postgres|eventstoredb> <path or URL> race <stream> <rounds>
//          (appends at the head revision it last read, and prints how many appends won and lost)
import { randomUUID } from 'node:crypto';
import { WrongExpectedRevisionError } from '../../dist/event-store/event-store.js';

const [kind, location, command, stream, arg] = process.argv.slice(2);
const open = {
  sqlite: async () => new (await import('../../dist/event-store/sqlite-event-store.js')).SqliteEventStore(location),
  postgres: async () =>
    new (await import('../../dist/event-store/postgres-event-store.js')).PostgresEventStore(location),
  eventstoredb: async () =>
    new (await import('../../dist/event-store/eventstoredb-event-store.js')).EventStoreDbEventStore(location),
}[kind];
let store = await open();
// Encryption on: sealed with the parent's key store, as a second instance would be.
if (process.env.SEALED_KEYS_DIR) {
  const { join } = await import('node:path');
  const { DataKeys } = await import('../../dist/encryption/data-keys.js');
  const { PostgresKeyStore, SqliteKeyStore } = await import('../../dist/encryption/key-store.js');
  const { SealedEventStore } = await import('../../dist/encryption/sealed-event-store.js');
  const dir = process.env.SEALED_KEYS_DIR;
  const keyStore = process.env.SEALED_KEY_STORE_URL
    ? new PostgresKeyStore(process.env.SEALED_KEY_STORE_URL)
    : new SqliteKeyStore(join(dir, 'keys.db'));
  store = new SealedEventStore(store, new DataKeys(keyStore, { generatedIn: join(dir, 'master.key') }));
}
if (command === 'append') {
  await store.append(stream, [JSON.parse(arg)], { expectedRevision: 'any' });
} else if (command === 'race') {
  let won = 0;
  let lost = 0;
  for (let i = 0; i < Number(arg); i++) {
    const [last] = await store.readStream(stream, { direction: 'backwards', maxCount: 1 });
    try {
      await store.append(
        stream,
        [{ id: randomUUID(), type: 'Raced', data: { pid: process.pid }, metadata: { schema_version: 1 } }],
        { expectedRevision: last ? last.revision : 'no_stream' },
      );
      won++;
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
      lost++;
    }
  }
  process.stdout.write(JSON.stringify({ won, lost }));
}
await store.close();
