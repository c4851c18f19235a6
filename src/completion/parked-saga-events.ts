import type { AppConfig } from '../common/config.js';
import { openSharedTable, type SharedTable } from '../common/shared-table.js';
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
 * Completions the saga gave up on after retrying them, so that one event that keeps failing does not hold
 * back every completion after it. Each names its event in the log, where an operator's `npm run cli -- saga
 * retry` reads it again. Kept apart from the read models (it outlives their rebuilds): `saga-parked.db` in
 * DATA_DIR, or, on PostgreSQL, a table beside the log that every instance shares, so each shows the same.
 */
export class ParkedSagaEvents {
  private readonly table: SharedTable;

  constructor(config: Pick<AppConfig, 'dataDir' | 'eventStore'>) {
    this.table = openSharedTable(config, {
      name: 'cms_parked_saga_events',
      oldName: 'parked_saga_events',
      file: 'saga-parked.db',
      synchronous: 'FULL',
      columns: `event_id TEXT PRIMARY KEY, stream TEXT NOT NULL, revision BIGINT NOT NULL, position BIGINT NOT NULL,
        attempts INTEGER NOT NULL, error TEXT NOT NULL, parked_at TEXT NOT NULL`,
    });
  }

  async park(event: RecordedEvent, attempts: number, error: string): Promise<void> {
    await this.table.run(
      `INSERT INTO cms_parked_saga_events (event_id, stream, revision, position, attempts, error, parked_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (event_id) DO UPDATE SET attempts = excluded.attempts, error = excluded.error,
         parked_at = excluded.parked_at`,
      [event.id, event.stream, event.revision, event.position, attempts, error, new Date().toISOString()],
    );
  }

  async list(): Promise<ParkedSagaEvent[]> {
    return (await this.table.rows<ParkedSagaEvent>('SELECT * FROM cms_parked_saga_events ORDER BY position', [])).map(
      numbers,
    );
  }

  async count(): Promise<number> {
    const [row] = await this.table.rows<{ n: number | string }>('SELECT COUNT(*) AS n FROM cms_parked_saga_events', []);
    return Number(row.n);
  }

  async find(eventId: string): Promise<ParkedSagaEvent | undefined> {
    const [row] = await this.table.rows<ParkedSagaEvent>('SELECT * FROM cms_parked_saga_events WHERE event_id = ?', [
      eventId,
    ]);
    return row && numbers(row);
  }

  async remove(eventId: string): Promise<void> {
    await this.table.run('DELETE FROM cms_parked_saga_events WHERE event_id = ?', [eventId]);
  }

  close(): Promise<void> {
    return this.table.close();
  }
}

/** PostgreSQL answers a BIGINT as a string. */
const numbers = (row: ParkedSagaEvent): ParkedSagaEvent => ({
  ...row,
  revision: Number(row.revision),
  position: Number(row.position),
});
