import type { SqliteDatabase } from '../common/sqlite.js';
import type { DomainEvent } from '../event-store/decider.js';
import type { RecordedEvent } from '../event-store/event-store.js';
import type { HistoryTable } from './row-history.js';
import type { SearchableTable } from './search-index.js';

/** A recorded event narrowed to one of a stream's event types: `type` and `data` typed together. */
export type RecordedEventOf<Event extends DomainEvent> = Event extends DomainEvent
  ? Omit<RecordedEvent, 'type' | 'data'> & Event
  : never;

/**
 * An index that only the read routes use, never the projection's own `apply`: a replay into a fresh
 * database builds it once, after the load (a sort), rather than row by row (see ReadModelDatabase.bulkLoad).
 */
export interface ReadIndex {
  readonly name: string;
  /** `table (column, ...)`. */
  readonly on: string;
  /**
   * Only for a key that `apply` keeps unique by construction: during a load nothing checks it, and building
   * the index at the end fails the replay if it was broken.
   */
  readonly unique?: boolean;
}

/**
 * A read model, as data: its tables and the indexes its `apply` needs (`init`), the indexes only its
 * readers need (`readIndexes`), what `search` matches in its table (`search`), the event types it reads
 * (`handles`), and what each does to its rows
 * (`apply`, inside the projector's transaction). Each projection has a file of its own (projection-database.ts).
 */
export interface Projection<Event extends DomainEvent = DomainEvent> {
  readonly name: string;
  /**
   * Changes with what its tables hold or how they are shaped: a file built by another version is rebuilt
   * from the log into a new file, and this projection alone.
   */
  readonly version: number;
  /**
   * The oldest version whose tables this build still reads and feeds (its `apply` and its readers work on
   * them). While a new version is rebuilt beside them, such a file keeps serving, so an upgrade costs no
   * downtime; a file older than this has nothing this build can serve, and the service catches up first.
   * Left out, it is `version`: raise `version` alone when the reads cannot work on the old tables (a column
   * they select is new, say), and set `readableFrom` to the old version when they can (a new index, a value
   * derived differently).
   */
  readonly readableFrom?: number;
  /**
   * Rebuilt on a thread of its own, beside the others' (runtime.ts): for a projection that takes a large
   * share of a rebuild's time (the public events: about half, BENCHMARKS.md), so that the two cores share it.
   */
  readonly rebuildsOnItsOwnThread?: boolean;
  readonly handles: readonly Event['type'][];
  /**
   * Of the events it handles, those that leave its tables alone (another resource type's MetadataSet): a
   * batch of only such events commits nothing in its file (ProjectionDatabase.project).
   */
  readonly ignores?: (event: RecordedEventOf<Event>) => boolean;
  init(db: SqliteDatabase): void;
  readonly readIndexes?: readonly ReadIndex[];
  /** The resource table `search` finds rows of, and the fields it matches (see search-index.ts). */
  readonly search?: SearchableTable;
  /** The resource table whose past is kept for lists as of a moment (see row-history.ts). */
  readonly history?: HistoryTable;
  apply(db: SqliteDatabase, event: RecordedEventOf<Event>): void;
}

/** Declares a projection typed by its stream's event union; the projector only hands it the types it handles. */
export function sqliteProjection<Event extends DomainEvent>(projection: Projection<Event>): Projection {
  return projection as unknown as Projection;
}

/** Applies one event to every projection that handles its type, in the order given. */
export function applyEvent(db: SqliteDatabase, projections: readonly Projection[], event: RecordedEvent): void {
  db.projectedEventTime = Date.parse(event.recordedAt);
  for (const projection of projections) {
    if (projection.handles.includes(event.type)) projection.apply(db, event as RecordedEventOf<DomainEvent>);
  }
}
