// Append benchmark of the embedded SQLite event store, as the service opens it (WAL, synchronous=FULL):
// appends of one event each (one transaction and one fsync per event), then appends of 100 events each,
// then 32 concurrent writers; with --postgres, the same against the PostgreSQL event store in the same run
// (a throwaway cluster from Debian's packages, fsync and synchronous_commit on, as PostgreSQL ships).
//   npm run build && node bench/append.mjs [--events 5000] [--dist DIR] [--postgres]
// --dist points at another build of this project (bench/sqlite-driver-before-after.sh uses it to measure the
// previous driver in the same run).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '5000' },
    dist: { type: 'string', default: join(import.meta.dirname, '../dist') },
    postgres: { type: 'boolean', default: false },
  },
});
const events = Number(values.events);
const { SqliteEventStore } = await import(
  pathToFileURL(resolve(values.dist, 'event-store/sqlite-event-store.js')).href
);

/** Each measurement on a fresh store: a new SQLite file, or a new PostgreSQL database. */
const stores = {
  sqlite: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cms-bench-append-'));
    const store = new SqliteEventStore(join(dir, 'events.db'), { synchronous: 'FULL' });
    return { store, remove: () => rmSync(dir, { recursive: true, force: true }) };
  },
};
let postgres;
if (values.postgres) {
  const { postgresForTests } = await import('../test/support/postgres.ts');
  postgres = await postgresForTests('bench/append.mjs --postgres');
  if ('skip' in postgres) process.exit(1);
  const { PostgresEventStore } = await import(
    pathToFileURL(resolve(values.dist, 'event-store/postgres-event-store.js')).href
  );
  stores.postgres = async () => ({
    store: new PostgresEventStore(await postgres.createDatabase()),
    remove: () => undefined,
  });
}

const event = (n) => ({
  id: randomUUID(),
  type: 'MetadataSet',
  data: {
    resource_type: 'device',
    resource_id: randomUUID(),
    workspace_id: 'bench',
    custom_metadata: { internal_account_id: `user-${n}`, floor: String(n % 10) },
    previous_custom_metadata: { internal_account_id: `user-${n}` },
    changes: [{ key: 'floor', from: null, to: String(n % 10) }],
    cause: { type: 'api_update' },
  },
  metadata: { schema_version: 1, actor: { type: 'api_key', api_key_id: 'bench' } },
});

async function measure(kind, label, perAppend) {
  const { store, remove } = await stores[kind]();
  await store.headPosition(); // creates the tables before the clock starts
  const started = performance.now();
  for (let n = 0; n < events; n += perAppend) {
    const batch = Array.from({ length: Math.min(perAppend, events - n) }, (_, i) => event(n + i));
    await store.append(`device-${randomUUID()}`, batch, { expectedRevision: 'no_stream' });
  }
  const seconds = (performance.now() - started) / 1000;
  await store.close();
  remove();
  const appends = Math.ceil(events / perAppend);
  console.log(
    `RESULT ${kind} append ${label}: ${events} events in ${appends} appends, ${seconds.toFixed(2)} s, ` +
      `${Math.round(events / seconds)} events/s, ${((seconds * 1000) / appends).toFixed(3)} ms per append`,
  );
}

/** 32 writers at once, each appending one event at a time to streams of its own: what group commit is for. */
async function measureConcurrent(kind, writers) {
  const { store, remove } = await stores[kind]();
  await store.headPosition();
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (next < events) {
        const n = next++;
        await store.append(`device-${randomUUID()}`, [event(n)], { expectedRevision: 'no_stream' });
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await store.close();
  remove();
  console.log(
    `RESULT ${kind} append ${writers} concurrent writers, one event each: ${events} events, ${seconds.toFixed(2)} s, ${Math.round(events / seconds)} events/s`,
  );
}

console.log(`Node ${process.version}, store from ${resolve(values.dist)}`);
for (const kind of Object.keys(stores)) {
  await measure(kind, 'one event per transaction', 1);
  await measure(kind, '100 events per transaction', 100);
  await measureConcurrent(kind, 32);
}
await postgres?.stop();
