import type { SqliteDatabase } from '../common/sqlite.js';
import type { EventStore } from '../event-store/event-store.js';
import { applyEvent, type Projection } from './projection.js';
import { ReadModelDatabase } from './read-model-database.js';

/**
 * Read models as they were at `asOf`, built in memory by `projections` from the given streams' events
 * recorded up to that moment; `read` asks them what it would ask the live ones. Of each stream's
 * MetadataSet events, only the last is read.
 */
export async function readAsOf<T>(
  store: EventStore,
  streamNames: readonly string[],
  asOf: Date,
  projections: readonly Projection[],
  read: (db: SqliteDatabase) => T,
): Promise<T> {
  const upTo = asOf.toISOString();
  const perStream = await Promise.all(
    streamNames.map(async (stream) => [
      ...(await store.readStream(stream, { recordedUpTo: upTo, types: { except: ['MetadataSet'] } })),
      // A MetadataSet carries the resource's whole metadata: the last one before `asOf` is all it takes.
      ...(await store.readStream(stream, {
        direction: 'backwards',
        recordedUpTo: upTo,
        types: { only: ['MetadataSet'] },
        maxCount: 1,
      })),
    ]),
  );
  const events = perStream.flat().sort((a, b) => a.position - b.position);
  const past = new ReadModelDatabase(':memory:', { projections });
  try {
    past.transaction(() => {
      for (const event of events) applyEvent(past.db, projections, event);
    });
    return read(past.db);
  } finally {
    past.close();
  }
}
