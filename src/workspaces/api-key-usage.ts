import { join } from 'node:path';
import { openSqlite, type SqliteDatabase } from '../common/sqlite.js';
import { prepared } from '../common/prepared.js';

/** How often a key's last use is written at most: the list shows it to the minute. */
const WRITE_EVERY_MS = 60_000;

/**
 * When each API key was last used, in a file of its own in DATA_DIR (`api-key-usage.db`): a fact about
 * this instance's traffic, not an event worth a place in the log, and kept across replays of the read
 * models. Each instance of a scaled-out deployment knows its own.
 */
export class ApiKeyUsage {
  private readonly db: SqliteDatabase;
  private readonly lastWritten = new Map<string, number>();

  constructor(dataDir: string) {
    this.db = openSqlite(join(dataDir, 'api-key-usage.db'), { synchronous: 'NORMAL' });
    this.db.exec('CREATE TABLE IF NOT EXISTS api_key_usage (api_key_id TEXT PRIMARY KEY, last_used_at TEXT NOT NULL)');
  }

  /** Records a use of an authenticated key (written at most once a minute per key). */
  touch(apiKeyId: string, now = Date.now()): void {
    const last = this.lastWritten.get(apiKeyId);
    if (last !== undefined && now - last < WRITE_EVERY_MS) return;
    this.lastWritten.set(apiKeyId, now);
    prepared(
      this.db,
      `INSERT INTO api_key_usage (api_key_id, last_used_at) VALUES (?, ?)
       ON CONFLICT (api_key_id) DO UPDATE SET last_used_at = excluded.last_used_at`,
    ).run(apiKeyId, new Date(now).toISOString());
  }

  lastUsedAt(apiKeyId: string): string | null {
    const row = prepared(this.db, 'SELECT last_used_at FROM api_key_usage WHERE api_key_id = ?').get(apiKeyId) as
      { last_used_at: string } | undefined;
    return row?.last_used_at ?? null;
  }

  close(): void {
    this.db.close();
  }
}
