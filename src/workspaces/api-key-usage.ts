import type { AppConfig } from '../common/config.js';
import { openSharedTable, type SharedTable } from '../common/shared-table.js';

/** How often a key's last use is written at most: the list shows it to the minute. */
const WRITE_EVERY_MS = 60_000;

/**
 * When each API key was last used: a fact about the deployment's traffic, not an event worth a place in
 * the log, and kept across replays of the read models. `api-key-usage.db` in DATA_DIR, or, on PostgreSQL,
 * a table beside the log that every instance writes, so `api-key list` shows a key's last use on any of them.
 */
export class ApiKeyUsage {
  private readonly table: SharedTable;
  private readonly lastWritten = new Map<string, number>();

  constructor(config: Pick<AppConfig, 'dataDir' | 'eventStore'>) {
    this.table = openSharedTable(config, {
      name: 'cms_api_key_usage',
      oldName: 'api_key_usage',
      file: 'api-key-usage.db',
      synchronous: 'NORMAL',
      columns: 'api_key_id TEXT PRIMARY KEY, last_used_at TEXT NOT NULL',
    });
  }

  /**
   * Records a use of an authenticated key (written at most once a minute per key, by this instance), in the
   * background: a request never waits for it, and a write that fails costs the list a minute of precision.
   */
  touch(apiKeyId: string, now = Date.now()): void {
    const last = this.lastWritten.get(apiKeyId);
    if (last !== undefined && now - last < WRITE_EVERY_MS) return;
    this.lastWritten.set(apiKeyId, now);
    this.table
      .run(
        `INSERT INTO cms_api_key_usage (api_key_id, last_used_at) VALUES (?, ?)
         ON CONFLICT (api_key_id) DO UPDATE SET last_used_at = excluded.last_used_at
         WHERE excluded.last_used_at > cms_api_key_usage.last_used_at`,
        [apiKeyId, new Date(now).toISOString()],
      )
      .catch(() => this.lastWritten.delete(apiKeyId)); // tried again at its next use
  }

  async lastUsedAt(apiKeyId: string): Promise<string | null> {
    const [row] = await this.table.rows<{ last_used_at: string }>(
      'SELECT last_used_at FROM cms_api_key_usage WHERE api_key_id = ?',
      [apiKeyId],
    );
    return row?.last_used_at ?? null;
  }

  close(): Promise<void> {
    return this.table.close();
  }
}
