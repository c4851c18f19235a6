import { join } from 'node:path';
import { openSqlite, type SqliteDatabase } from '../common/sqlite.js';
import type { RecordedEvent } from '../event-store/event-store.js';

export interface ParkedSagaEvent {
  event_id: string;
  stream: string;
  revision: number;
  position: number;
  attempts: number;
  error: string;
  parked_at: string;
}

/**
 * Completions the saga gave up on after retrying them (`saga-parked.db` in DATA_DIR), so that one event that
 * keeps failing does not hold back every completion after it. Each names its event in the log, where an
 * operator's `npm run cli -- saga retry` reads it again. A file of its own: it outlives read-model rebuilds.
 */
export class ParkedSagaEvents {
  private readonly db: SqliteDatabase;

  constructor(dataDir: string) {
    this.db = openSqlite(join(dataDir, 'saga-parked.db'), { synchronous: 'FULL' });
    this.db.exec(`CREATE TABLE IF NOT EXISTS parked_saga_events (
      event_id  TEXT PRIMARY KEY,
      stream    TEXT NOT NULL,
      revision  INTEGER NOT NULL,
      position  INTEGER NOT NULL,
      attempts  INTEGER NOT NULL,
      error     TEXT NOT NULL,
      parked_at TEXT NOT NULL
    )`);
  }

  park(event: RecordedEvent, attempts: number, error: string): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO parked_saga_events (event_id, stream, revision, position, attempts, error, parked_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(event.id, event.stream, event.revision, event.position, attempts, error, new Date().toISOString());
  }

  list(): ParkedSagaEvent[] {
    return this.db.prepare('SELECT * FROM parked_saga_events ORDER BY position').all() as unknown as ParkedSagaEvent[];
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM parked_saga_events').get() as { n: number }).n;
  }

  find(eventId: string): ParkedSagaEvent | undefined {
    return this.db.prepare('SELECT * FROM parked_saga_events WHERE event_id = ?').get(eventId) as
      ParkedSagaEvent | undefined;
  }

  remove(eventId: string): void {
    this.db.prepare('DELETE FROM parked_saga_events WHERE event_id = ?').run(eventId);
  }

  close(): void {
    this.db.close();
  }
}
