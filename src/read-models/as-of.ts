import type { SqliteDatabase } from '../common/sqlite.js';
import type { EventStore } from '../event-store/event-store.js';
import { applyEvent, type Projection } from './projection.js';
import { ReadModelDatabase } from './read-model-database.js';

/**
 * Read models as they were at `asOf`, built in memory by `projections` from the given streams' events
 * recorded up to that moment; `read` asks them what it would ask the live ones.
 */
export async function readAsOf<T>(
  store: EventStore,
  streamNames: readonly string[],
  asOf: Date,
  projections: readonly Projection[],
  read: (db: SqliteDatabase) => T,
): Promise<T> {
  const events = (await Promise.all(streamNames.map((s) => store.readStream(s))))
    .flat()
    .filter((e) => Date.parse(e.recordedAt) <= asOf.getTime())
    .sort((a, b) => a.position - b.position);
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
