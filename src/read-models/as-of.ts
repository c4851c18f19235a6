import type { SqliteDatabase } from '../common/sqlite.js';
import type { EventStore } from '../event-store/event-store.js';
import { applyEvent, type Projection } from './projection.js';
import { ReadModelDatabase } from './read-model-database.js';

/**
 * Read models as they were at a moment (`as_of`), for the get routes. The app holds one, over its store.
 */
export class AsOfReads {
  /**
   * One empty in-memory database per set of projections, made once: creating the tables on every request
   * cost more than folding a short stream. Keyed by names the code chooses, so it holds a handful at most.
   */
  private readonly scratches = new Map<string, ReadModelDatabase>();

  constructor(readonly store: EventStore) {}

  /**
   * The given streams' events recorded up to `asOf` are applied by `projections` to a scratch database
   * inside a transaction that is always rolled back, and `read` asks it what it would ask the live ones.
   * Of each stream's MetadataSet events, only the last is read.
   */
  async read<T>(
    streamNames: readonly string[],
    asOf: Date,
    projections: readonly Projection[],
    read: (db: SqliteDatabase) => T,
  ): Promise<T> {
    const store = this.store;
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
    // Apply and read run in one synchronous turn, so requests never see each other's rows in the scratch.
    const scratch = this.scratchFor(projections).db;
    scratch.exec('BEGIN');
    try {
      for (const event of events) applyEvent(scratch, projections, event);
      return read(scratch);
    } finally {
      scratch.exec('ROLLBACK');
    }
  }

  private scratchFor(projections: readonly Projection[]): ReadModelDatabase {
    const key = projections.map((p) => `${p.name}@${p.version}`).join(',');
    let scratch = this.scratches.get(key);
    if (!scratch) {
      // A get as of a moment folds the resource's own events: the tables' past (row-history.ts) is not read.
      const withoutHistory = projections.map(({ history: _history, ...projection }) => projection);
      scratch = new ReadModelDatabase(':memory:', { projections: withoutHistory });
      this.scratches.set(key, scratch);
    }
    return scratch;
  }

  close(): void {
    for (const scratch of this.scratches.values()) scratch.close();
    this.scratches.clear();
  }
}
