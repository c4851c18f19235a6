import { openSqlite, type SqliteDatabase } from '../common/sqlite.js';

/**
 * Delivery state per webhook: not derived from the log (it records what the receivers said), so it lives in
 * its own file, `deliveries.db`, which a read-model replay leaves alone.
 */
export interface DeliveryState {
  webhook_id: string;
  /** The last public event this webhook is done with (delivered, or given up on). */
  after_sequence: number;
  /** That event's id: what survives a switch to another log, where its sequence differs. */
  after_event_id: string | null;
  /** The log `after_sequence` counts in (its LogCreated id); null for state written before it was kept. */
  log_id: string | null;
  attempt: number;
  next_attempt_at: string | null;
  last_success_at: string | null;
  last_failure_at: string | null;
  last_failure_status: number | null;
  last_failure_message: string | null;
  abandoned_count: number;
}

export const MAX_ATTEMPTS = 14;
export const MAX_DELAY_MS = 6 * 60 * 60 * 1000;

export class DeliveryStore {
  private readonly db: SqliteDatabase;

  constructor(path: string) {
    this.db = openSqlite(path, { synchronous: 'FULL' });
    this.db.exec(`CREATE TABLE IF NOT EXISTS delivery_state (
      webhook_id TEXT PRIMARY KEY, after_sequence INTEGER NOT NULL, attempt INTEGER NOT NULL DEFAULT 0,
      next_attempt_at TEXT, last_success_at TEXT, last_failure_at TEXT, last_failure_status INTEGER,
      last_failure_message TEXT, abandoned_count INTEGER NOT NULL DEFAULT 0, after_event_id TEXT, log_id TEXT)`);
    const columns = (this.db.prepare('PRAGMA table_info(delivery_state)').all() as { name: string }[]).map(
      (c) => c.name,
    );
    for (const column of ['after_event_id', 'log_id']) {
      if (!columns.includes(column)) this.db.exec(`ALTER TABLE delivery_state ADD COLUMN ${column} TEXT`);
    }
  }

  /** Counts the webhook's progress in `logId` from `afterSequence` on (a new log, or state from before ids). */
  rebase(webhookId: string, afterSequence: number, logId: string): void {
    this.db
      .prepare('UPDATE delivery_state SET after_sequence = ?, log_id = ? WHERE webhook_id = ?')
      .run(afterSequence, logId, webhookId);
  }

  get(webhookId: string): DeliveryState | undefined {
    return this.db.prepare('SELECT * FROM delivery_state WHERE webhook_id = ?').get(webhookId) as
      DeliveryState | undefined;
  }

  /** A new webhook receives what happens after it was created, not the workspace's past. */
  initialise(webhookId: string, afterSequence: number, logId: string | null): DeliveryState {
    this.db
      .prepare('INSERT OR IGNORE INTO delivery_state (webhook_id, after_sequence, log_id) VALUES (?, ?, ?)')
      .run(webhookId, afterSequence, logId);
    return this.get(webhookId)!;
  }

  delivered(webhookId: string, sequence: number, eventId: string, at: string): void {
    this.db
      .prepare(
        `UPDATE delivery_state SET after_sequence = ?, after_event_id = ?, attempt = 0, next_attempt_at = NULL,
         last_success_at = ? WHERE webhook_id = ?`,
      )
      .run(sequence, eventId, at, webhookId);
  }

  failed(
    webhookId: string,
    failure: {
      at: string;
      status: number | null;
      message: string;
      nextAttemptAt: string | null;
      giveUp?: { sequence: number; eventId: string };
    },
  ): void {
    if (failure.giveUp !== undefined) {
      this.db
        .prepare(
          `UPDATE delivery_state SET after_sequence = ?, after_event_id = ?, attempt = 0, next_attempt_at = NULL,
           last_failure_at = ?, last_failure_status = ?, last_failure_message = ?,
           abandoned_count = abandoned_count + 1 WHERE webhook_id = ?`,
        )
        .run(failure.giveUp.sequence, failure.giveUp.eventId, failure.at, failure.status, failure.message, webhookId);
      return;
    }
    this.db
      .prepare(
        `UPDATE delivery_state SET attempt = attempt + 1, next_attempt_at = ?, last_failure_at = ?,
         last_failure_status = ?,
         last_failure_message = ? WHERE webhook_id = ?`,
      )
      .run(failure.nextAttemptAt, failure.at, failure.status, failure.message, webhookId);
  }

  close(): void {
    this.db.close();
  }
}
