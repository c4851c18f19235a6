import type pg from 'pg';
import { postgresTableOn, sqliteTable, type SharedTable } from '../common/shared-table.js';

/** Delivery state per webhook: not derived from the log (it records what the receivers said). */
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

/**
 * Where delivery state is kept: `deliveries.db` in DATA_DIR for one instance; with EVENT_STORE=postgres, a
 * table beside the log, so that the instance that takes the delivery lease over goes on where the last one
 * stopped (see delivery-lease.ts).
 */
export interface DeliveryStore {
  get(webhookId: string): Promise<DeliveryState | undefined>;
  /** A new webhook receives what happens after it was created, not the workspace's past. */
  initialise(webhookId: string, afterSequence: number, logId: string | null): Promise<DeliveryState>;
  /** Counts the webhook's progress in `logId` from `afterSequence` on (a new log, or state from before ids). */
  rebase(webhookId: string, afterSequence: number, logId: string): Promise<void>;
  delivered(webhookId: string, sequence: number, eventId: string, at: string): Promise<void>;
  failed(webhookId: string, failure: DeliveryFailure): Promise<void>;
  all(): Promise<DeliveryState[]>;
  /** Takes a webhook's state from another store (a switch to PostgreSQL), unless it has its own already. */
  adopt(state: DeliveryState): Promise<void>;
  close(): Promise<void>;
}

export interface DeliveryFailure {
  at: string;
  status: number | null;
  message: string;
  nextAttemptAt: string | null;
  giveUp?: { sequence: number; eventId: string };
}

/** The statements, the same for both stores (`?` placeholders; PostgreSQL's are numbered from them). */
const STATEMENTS = {
  get: 'SELECT * FROM cms_webhook_delivery_state WHERE webhook_id = ?',
  all: 'SELECT * FROM cms_webhook_delivery_state ORDER BY webhook_id',
  adopt: `INSERT INTO cms_webhook_delivery_state (webhook_id, after_sequence, after_event_id, log_id, attempt,
            next_attempt_at, last_success_at, last_failure_at, last_failure_status, last_failure_message,
            abandoned_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (webhook_id) DO NOTHING`,
  initialise: `INSERT INTO cms_webhook_delivery_state (webhook_id, after_sequence, log_id) VALUES (?, ?, ?)
               ON CONFLICT (webhook_id) DO NOTHING`,
  rebase: 'UPDATE cms_webhook_delivery_state SET after_sequence = ?, log_id = ? WHERE webhook_id = ?',
  delivered: `UPDATE cms_webhook_delivery_state SET after_sequence = ?, after_event_id = ?, attempt = 0,
              next_attempt_at = NULL, last_success_at = ? WHERE webhook_id = ?`,
  gaveUp: `UPDATE cms_webhook_delivery_state SET after_sequence = ?, after_event_id = ?, attempt = 0,
           next_attempt_at = NULL, last_failure_at = ?, last_failure_status = ?, last_failure_message = ?,
           abandoned_count = abandoned_count + 1 WHERE webhook_id = ?`,
  failed: `UPDATE cms_webhook_delivery_state SET attempt = attempt + 1, next_attempt_at = ?, last_failure_at = ?,
           last_failure_status = ?, last_failure_message = ? WHERE webhook_id = ?`,
};

const COLUMNS = `webhook_id TEXT PRIMARY KEY, after_sequence BIGINT NOT NULL, attempt INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT, last_success_at TEXT, last_failure_at TEXT, last_failure_status INTEGER,
  last_failure_message TEXT, abandoned_count INTEGER NOT NULL DEFAULT 0, after_event_id TEXT, log_id TEXT`;

/** Delivery state over either database (common/shared-table.ts). */
class SqlDeliveryStore implements DeliveryStore {
  constructor(private readonly table: SharedTable) {}

  private run(sql: string, params: (string | number | null)[]): Promise<void> {
    return this.table.run(sql, params);
  }

  /** PostgreSQL answers a BIGINT as a string. */
  private async rows(sql: string, params: (string | number | null)[]): Promise<DeliveryState[]> {
    const rows = await this.table.rows<DeliveryState & { after_sequence: number | string }>(sql, params);
    return rows.map((row) => ({ ...row, after_sequence: Number(row.after_sequence) }));
  }

  close(): Promise<void> {
    return this.table.close();
  }

  async get(webhookId: string) {
    return (await this.rows(STATEMENTS.get, [webhookId]))[0];
  }
  all() {
    return this.rows(STATEMENTS.all, []);
  }

  async adopt(state: DeliveryState) {
    await this.run(STATEMENTS.adopt, [
      state.webhook_id,
      state.after_sequence,
      state.after_event_id,
      state.log_id,
      state.attempt,
      state.next_attempt_at,
      state.last_success_at,
      state.last_failure_at,
      state.last_failure_status,
      state.last_failure_message,
      state.abandoned_count,
    ]);
  }

  async initialise(webhookId: string, afterSequence: number, logId: string | null) {
    await this.run(STATEMENTS.initialise, [webhookId, afterSequence, logId]);
    return (await this.get(webhookId))!;
  }

  async rebase(webhookId: string, afterSequence: number, logId: string) {
    await this.run(STATEMENTS.rebase, [afterSequence, logId, webhookId]);
  }

  async delivered(webhookId: string, sequence: number, eventId: string, at: string) {
    await this.run(STATEMENTS.delivered, [sequence, eventId, at, webhookId]);
  }

  async failed(webhookId: string, failure: DeliveryFailure) {
    const { at, status, message, nextAttemptAt, giveUp } = failure;
    if (giveUp !== undefined) {
      await this.run(STATEMENTS.gaveUp, [giveUp.sequence, giveUp.eventId, at, status, message, webhookId]);
      return;
    }
    await this.run(STATEMENTS.failed, [nextAttemptAt, at, status, message, webhookId]);
  }
}

/** `deliveries.db` in DATA_DIR: not derived from the log, so a read-model replay leaves it alone. */
export function sqliteDeliveryStore(path: string): DeliveryStore {
  return new SqlDeliveryStore(
    sqliteTable(path, 'FULL', (db) => {
      // Files from before the shared statements named the table delivery_state.
      const old = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'delivery_state'").get();
      if (old) db.exec('ALTER TABLE delivery_state RENAME TO cms_webhook_delivery_state');
      db.exec(`CREATE TABLE IF NOT EXISTS cms_webhook_delivery_state (${COLUMNS})`);
      const columns = (db.prepare('PRAGMA table_info(cms_webhook_delivery_state)').all() as { name: string }[]).map(
        (c) => c.name,
      );
      for (const column of ['after_event_id', 'log_id']) {
        if (!columns.includes(column)) db.exec(`ALTER TABLE cms_webhook_delivery_state ADD COLUMN ${column} TEXT`);
      }
    }),
  );
}

/** The table beside the log in PostgreSQL, shared by every instance (one delivers at a time: the lease). */
export function postgresDeliveryStore(pool: pg.Pool): DeliveryStore {
  // The pool belongs to the caller: closing the store leaves it open.
  return new SqlDeliveryStore(
    postgresTableOn(pool, `CREATE TABLE IF NOT EXISTS cms_webhook_delivery_state (${COLUMNS})`),
  );
}
