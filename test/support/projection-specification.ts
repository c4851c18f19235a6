import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SqliteDatabase } from '../../src/common/sqlite.js';
import type { DomainEvent } from '../../src/event-store/decider.js';
import type { RecordedEvent } from '../../src/event-store/event-store.js';
import { applyEvent, type Projection } from '../../src/read-models/projection.js';
import { ReadModelDatabase } from '../../src/read-models/read-model-database.js';

/**
 * Given events, then rows: the projections applied to the events (positions 1, 2, 3, … in the order given)
 * in a throwaway read-model database, as the projector would apply them.
 */
export function givenEvents(projections: readonly Projection[], events: readonly DomainEvent[]) {
  const readModels = new ReadModelDatabase(join(mkdtempSync(join(tmpdir(), 'cms-spec-')), 'read-models.db'), {
    projections,
  });
  readModels.transaction(() => {
    events.forEach((event, index) => applyEvent(readModels.db, projections, recorded(event, index + 1)));
  });
  return {
    db: readModels.db,
    rows: (sql: string, ...params: (string | number)[]) =>
      readModels.db
        .prepare(sql)
        .all(...params)
        .map((row) => ({ ...row })),
    close: () => readModels.close(),
  };
}

export type GivenEvents = ReturnType<typeof givenEvents> & { db: SqliteDatabase };

function recorded(event: DomainEvent, position: number): RecordedEvent {
  return {
    id: `event-${position}`,
    type: event.type,
    stream: 'spec',
    revision: position - 1,
    position,
    data: event.data,
    metadata: {},
    recordedAt: new Date(Date.UTC(2026, 10, 23, 10, 0, position)).toISOString(),
  };
}
