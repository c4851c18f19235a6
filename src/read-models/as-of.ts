import type { SqliteDatabase } from '../common/sqlite.js';
import type { EventStore, RecordedEvent } from '../event-store/event-store.js';
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
  const events = latestMetadataOnly(
    (await Promise.all(streamNames.map((s) => store.readStream(s))))
      .flat()
      .filter((e) => Date.parse(e.recordedAt) <= asOf.getTime())
      .sort((a, b) => a.position - b.position),
  );
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

/**
 * A MetadataSet carries a resource's whole metadata, so only the last one of each resource decides what the
 * read models show: the earlier ones are left out, and a long history costs its reading, not its applying.
 */
function latestMetadataOnly(events: readonly RecordedEvent[]): RecordedEvent[] {
  const last = new Map<string, string>();
  for (const event of events) {
    if (event.type !== 'MetadataSet') continue;
    const { resource_type, resource_id } = event.data as { resource_type: string; resource_id: string };
    last.set(`${resource_type}:${resource_id}`, event.id);
  }
  return events.filter((event) => {
    if (event.type !== 'MetadataSet') return true;
    const { resource_type, resource_id } = event.data as { resource_type: string; resource_id: string };
    return last.get(`${resource_type}:${resource_id}`) === event.id;
  });
}
