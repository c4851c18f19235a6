import pg from 'pg';
import { prepared } from '../common/prepared.js';
import { immediateTransaction, openSqlite, type SqliteDatabase } from '../common/sqlite.js';

/** A data key as the key store keeps it: wrapped by the master key, never in clear. */
export interface StoredDataKey {
  keyId: string;
  /** The workspace whose erasure destroys it; null for the service's own keys. */
  workspaceId: string | null;
  /** The subject whose erasure destroys it besides its own (a device's key: its connected account's key id). */
  ownerId: string | null;
  /** base64 of IV, ciphertext and tag (see data-keys.ts). */
  wrapped: string;
}

/** Which master key the store's data keys are wrapped by, and a value sealed by it to check a key against. */
export interface KeyStoreMeta {
  storeId: string;
  masterKeyId: string;
  masterCheck: string;
}

/** What erasure destroys: one subject's keys (its own and those it owns), or every key of a workspace. */
export type ErasureSelector = { subject: string } | { workspaceId: string };

export type FoundKey = StoredDataKey | { destroyedAt: string } | undefined;

/**
 * Data keys, kept apart from the log: erasing a subject deletes its keys here for good, while the log
 * stays append-only. Destroyed keys leave a tombstone (the key id and when), so that "erased" is told from
 * "missing", and nothing re-creates a key for an erased subject.
 */
export interface KeyStore {
  meta(): Promise<KeyStoreMeta | undefined>;
  /** Sets the meta once; whoever comes second gets the first one's. */
  initMeta(meta: KeyStoreMeta): Promise<KeyStoreMeta>;
  find(keyId: string): Promise<FoundKey>;
  /**
   * Adds a key unless one has that id already (then answers that one), as long as the store's keys are
   * still wrapped by `masterKeyId` (else undefined: a rotation ran meanwhile). Refuses (`{ destroyedAt }`)
   * when the key, its workspace or its owner was erased.
   */
  insert(key: StoredDataKey, masterKeyId: string): Promise<FoundKey>;
  /** Deletes the keys, leaves tombstones, and scrubs them from the disk. Answers the ids destroyed. */
  destroy(selector: ErasureSelector, at: string): Promise<string[]>;
  /** Re-wraps every key in one transaction, and the meta with them. */
  rewrap(rewrapKey: (key: StoredDataKey) => string, meta: KeyStoreMeta): Promise<number>;
  /** Everything it holds, as stored (wrapped): what `copyKeyStore` moves. */
  exportAll(): Promise<KeyStoreContents>;
  /** Adds what another store held (its meta only if this one has none); keeps what it has. */
  importAll(contents: KeyStoreContents): Promise<void>;
  close(): Promise<void>;
}

export interface KeyStoreContents {
  meta: KeyStoreMeta | undefined;
  keys: StoredDataKey[];
  destroyed: { keyId: string; destroyedAt: string }[];
}

/**
 * Copies a key store into another, for `copy-events`: the copied log is sealed under these keys, so a
 * server on the target (whose key store may live elsewhere: PostgreSQL's table) must find them. The keys
 * stay wrapped by the same master key. A target already bound to another key store is refused.
 */
export async function copyKeyStore(from: KeyStore, to: KeyStore): Promise<{ keys: number }> {
  const contents = await from.exportAll();
  const existing = await to.meta();
  if (existing && contents.meta && existing.storeId !== contents.meta.storeId) {
    throw new Error(
      `The target's key store is another one (${existing.storeId}, not ${contents.meta.storeId}): copy into an empty store`,
    );
  }
  await to.importAll(contents);
  return { keys: contents.keys.length };
}

const tombstoneIds = (key: StoredDataKey) =>
  [key.keyId, key.workspaceId && `workspace:${key.workspaceId}`, key.ownerId].filter((id): id is string => !!id);

type KeyRow = { key_id: string; workspace_id: string | null; owner_id: string | null; wrapped: string };
const fromKeyRow = (row: KeyRow): StoredDataKey => ({
  keyId: row.key_id,
  workspaceId: row.workspace_id,
  ownerId: row.owner_id,
  wrapped: row.wrapped,
});

/**
 * The key store beside an embedded log: a SQLite file of its own (DATA_DIR/keys.db). `secure_delete`
 * overwrites a destroyed key's bytes in its page, and a TRUNCATE checkpoint then empties the WAL that still
 * held them, so a destroyed key is gone from the file, its WAL and its free pages.
 */
export class SqliteKeyStore implements KeyStore {
  private readonly db: SqliteDatabase;

  constructor(readonly path: string) {
    this.db = openSqlite(path, { synchronous: 'FULL' });
    this.db.exec(`
      PRAGMA secure_delete = ON;
      CREATE TABLE IF NOT EXISTS key_store_meta (
        only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
        store_id TEXT NOT NULL, master_key_id TEXT NOT NULL, master_check TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS data_keys (
        key_id TEXT PRIMARY KEY, workspace_id TEXT, owner_id TEXT, wrapped TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS data_keys_by_workspace ON data_keys (workspace_id);
      CREATE INDEX IF NOT EXISTS data_keys_by_owner ON data_keys (owner_id);
      CREATE TABLE IF NOT EXISTS destroyed_keys (key_id TEXT PRIMARY KEY, destroyed_at TEXT NOT NULL);
    `);
  }

  async meta(): Promise<KeyStoreMeta | undefined> {
    const row = prepared(this.db, 'SELECT store_id, master_key_id, master_check FROM key_store_meta').get() as
      { store_id: string; master_key_id: string; master_check: string } | undefined;
    return row && { storeId: row.store_id, masterKeyId: row.master_key_id, masterCheck: row.master_check };
  }

  async initMeta(meta: KeyStoreMeta): Promise<KeyStoreMeta> {
    prepared(
      this.db,
      'INSERT OR IGNORE INTO key_store_meta (only_row, store_id, master_key_id, master_check) VALUES (1, ?, ?, ?)',
    ).run(meta.storeId, meta.masterKeyId, meta.masterCheck);
    return (await this.meta()) as KeyStoreMeta;
  }

  async find(keyId: string): Promise<FoundKey> {
    return this.findNow(keyId);
  }

  private findNow(keyId: string): FoundKey {
    const row = prepared(this.db, 'SELECT key_id, workspace_id, owner_id, wrapped FROM data_keys WHERE key_id = ?').get(
      keyId,
    ) as { key_id: string; workspace_id: string | null; owner_id: string | null; wrapped: string } | undefined;
    if (row) return { keyId: row.key_id, workspaceId: row.workspace_id, ownerId: row.owner_id, wrapped: row.wrapped };
    return this.tombstone([keyId]);
  }

  private tombstone(ids: string[]): { destroyedAt: string } | undefined {
    for (const id of ids) {
      const row = prepared(this.db, 'SELECT destroyed_at FROM destroyed_keys WHERE key_id = ?').get(id) as
        { destroyed_at: string } | undefined;
      if (row) return { destroyedAt: row.destroyed_at };
    }
    return undefined;
  }

  async insert(key: StoredDataKey, masterKeyId: string): Promise<FoundKey> {
    return immediateTransaction(this.db, () => {
      const existing = this.findNow(key.keyId);
      if (existing) return existing;
      const erased = this.tombstone(tombstoneIds(key));
      if (erased) return erased;
      const meta = prepared(this.db, 'SELECT master_key_id FROM key_store_meta').get() as { master_key_id: string };
      if (meta.master_key_id !== masterKeyId) return undefined;
      prepared(this.db, 'INSERT INTO data_keys (key_id, workspace_id, owner_id, wrapped) VALUES (?, ?, ?, ?)').run(
        key.keyId,
        key.workspaceId,
        key.ownerId,
        key.wrapped,
      );
      return key;
    });
  }

  async destroy(selector: ErasureSelector, at: string): Promise<string[]> {
    const destroyed = immediateTransaction(this.db, () => {
      const [where, value, subject] =
        'subject' in selector
          ? ['key_id = ?1 OR owner_id = ?1', selector.subject, selector.subject]
          : ['workspace_id = ?1', selector.workspaceId, `workspace:${selector.workspaceId}`];
      const ids = (
        prepared(this.db, `SELECT key_id FROM data_keys WHERE ${where}`).all(value) as { key_id: string }[]
      ).map((row) => row.key_id);
      prepared(this.db, `DELETE FROM data_keys WHERE ${where}`).run(value);
      for (const id of new Set([subject, ...ids])) {
        prepared(this.db, 'INSERT OR IGNORE INTO destroyed_keys (key_id, destroyed_at) VALUES (?, ?)').run(id, at);
      }
      return ids;
    });
    this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    return destroyed;
  }

  async rewrap(rewrapKey: (key: StoredDataKey) => string, meta: KeyStoreMeta): Promise<number> {
    const count = immediateTransaction(this.db, () => {
      const rows = prepared(this.db, 'SELECT key_id, workspace_id, owner_id, wrapped FROM data_keys').all() as {
        key_id: string;
        workspace_id: string | null;
        owner_id: string | null;
        wrapped: string;
      }[];
      for (const row of rows) {
        const wrapped = rewrapKey({
          keyId: row.key_id,
          workspaceId: row.workspace_id,
          ownerId: row.owner_id,
          wrapped: row.wrapped,
        });
        prepared(this.db, 'UPDATE data_keys SET wrapped = ? WHERE key_id = ?').run(wrapped, row.key_id);
      }
      prepared(this.db, 'UPDATE key_store_meta SET master_key_id = ?, master_check = ?').run(
        meta.masterKeyId,
        meta.masterCheck,
      );
      return rows.length;
    });
    // The keys as the old master key wrapped them are in the WAL until it is emptied.
    this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    return count;
  }

  async exportAll(): Promise<KeyStoreContents> {
    const keys = (
      prepared(this.db, 'SELECT key_id, workspace_id, owner_id, wrapped FROM data_keys').all() as KeyRow[]
    ).map(fromKeyRow);
    const destroyed = (
      prepared(this.db, 'SELECT key_id, destroyed_at FROM destroyed_keys').all() as {
        key_id: string;
        destroyed_at: string;
      }[]
    ).map((row) => ({ keyId: row.key_id, destroyedAt: row.destroyed_at }));
    return { meta: await this.meta(), keys, destroyed };
  }

  async importAll({ meta, keys, destroyed }: KeyStoreContents): Promise<void> {
    immediateTransaction(this.db, () => {
      if (meta) {
        prepared(
          this.db,
          'INSERT OR IGNORE INTO key_store_meta (only_row, store_id, master_key_id, master_check) VALUES (1, ?, ?, ?)',
        ).run(meta.storeId, meta.masterKeyId, meta.masterCheck);
      }
      for (const key of keys) {
        prepared(
          this.db,
          'INSERT OR IGNORE INTO data_keys (key_id, workspace_id, owner_id, wrapped) VALUES (?, ?, ?, ?)',
        ).run(key.keyId, key.workspaceId, key.ownerId, key.wrapped);
      }
      for (const { keyId, destroyedAt } of destroyed) {
        prepared(this.db, 'INSERT OR IGNORE INTO destroyed_keys (key_id, destroyed_at) VALUES (?, ?)').run(
          keyId,
          destroyedAt,
        );
      }
    });
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

const POSTGRES_SCHEMA = `
  CREATE TABLE IF NOT EXISTS cms_key_store_meta (
    only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
    store_id TEXT NOT NULL, master_key_id TEXT NOT NULL, master_check TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS cms_data_keys (
    key_id TEXT PRIMARY KEY, workspace_id TEXT, owner_id TEXT, wrapped TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS cms_data_keys_by_workspace ON cms_data_keys (workspace_id);
  CREATE INDEX IF NOT EXISTS cms_data_keys_by_owner ON cms_data_keys (owner_id);
  CREATE TABLE IF NOT EXISTS cms_destroyed_keys (key_id TEXT PRIMARY KEY, destroyed_at TEXT NOT NULL);
`;
/** Apart from the log's schema lock (7_424_001) and the webhook delivery lease (7_424_002). */
const SCHEMA_LOCK = 7_424_003;

/**
 * The key store that every instance on one PostgreSQL database shares (a table beside the log's). A
 * destroyed key's row is vacuumed at once, so its bytes leave the table's pages rather than wait for
 * autovacuum.
 */
export class PostgresKeyStore implements KeyStore {
  private readonly pool: pg.Pool;
  private ready: Promise<void> | undefined;

  constructor(connectionString: string, deadlineMs = 5000) {
    this.pool = new pg.Pool({
      connectionString,
      max: 4,
      connectionTimeoutMillis: deadlineMs,
      statement_timeout: deadlineMs,
      query_timeout: deadlineMs + 1000,
    });
    this.pool.on('error', () => undefined);
  }

  private async query<Row extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<Row[]> {
    await (this.ready ??= this.createSchema());
    return (await this.pool.query<Row>(sql, values)).rows;
  }

  private async createSchema(): Promise<void> {
    const client = await this.pool.connect();
    try {
      // A transaction's lock: released with it, whatever happens, never left on a pooled connection.
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
      await client.query(POSTGRES_SCHEMA);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      this.ready = undefined;
      throw error;
    } finally {
      client.release();
    }
  }

  private async inTransaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    await (this.ready ??= this.createSchema());
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async meta(): Promise<KeyStoreMeta | undefined> {
    const [row] = await this.query<{ store_id: string; master_key_id: string; master_check: string }>(
      'SELECT store_id, master_key_id, master_check FROM cms_key_store_meta',
    );
    return row && { storeId: row.store_id, masterKeyId: row.master_key_id, masterCheck: row.master_check };
  }

  async initMeta(meta: KeyStoreMeta): Promise<KeyStoreMeta> {
    await this.query(
      `INSERT INTO cms_key_store_meta (only_row, store_id, master_key_id, master_check) VALUES (TRUE, $1, $2, $3)
       ON CONFLICT DO NOTHING`,
      [meta.storeId, meta.masterKeyId, meta.masterCheck],
    );
    return (await this.meta()) as KeyStoreMeta;
  }

  async find(keyId: string): Promise<FoundKey> {
    const [row] = await this.query<KeyRow>(
      'SELECT key_id, workspace_id, owner_id, wrapped FROM cms_data_keys WHERE key_id = $1',
      [keyId],
    );
    if (row) return fromKeyRow(row);
    return this.tombstone([keyId]);
  }

  private async tombstone(ids: string[], client?: pg.PoolClient): Promise<{ destroyedAt: string } | undefined> {
    const sql = 'SELECT destroyed_at FROM cms_destroyed_keys WHERE key_id = ANY($1) LIMIT 1';
    const rows = client
      ? (await client.query<{ destroyed_at: string }>(sql, [ids])).rows
      : await this.query<{ destroyed_at: string }>(sql, [ids]);
    return rows[0] && { destroyedAt: rows[0].destroyed_at };
  }

  async insert(key: StoredDataKey, masterKeyId: string): Promise<FoundKey> {
    return this.inTransaction(async (client) => {
      // Shared with a rotation, which takes it exclusively: no key wrapped by the old master key slips in.
      const [meta] = (
        await client.query<{ master_key_id: string }>('SELECT master_key_id FROM cms_key_store_meta FOR SHARE')
      ).rows;
      const erased = await this.tombstone(tombstoneIds(key), client);
      if (erased) return erased;
      if (meta.master_key_id !== masterKeyId) return undefined;
      await client.query(
        `INSERT INTO cms_data_keys (key_id, workspace_id, owner_id, wrapped) VALUES ($1, $2, $3, $4)
         ON CONFLICT (key_id) DO NOTHING`,
        [key.keyId, key.workspaceId, key.ownerId, key.wrapped],
      );
      const [row] = (
        await client.query<KeyRow>(
          'SELECT key_id, workspace_id, owner_id, wrapped FROM cms_data_keys WHERE key_id = $1',
          [key.keyId],
        )
      ).rows;
      return fromKeyRow(row);
    });
  }

  async destroy(selector: ErasureSelector, at: string): Promise<string[]> {
    const [where, value, subject] =
      'subject' in selector
        ? ['key_id = $1 OR owner_id = $1', selector.subject, selector.subject]
        : ['workspace_id = $1', selector.workspaceId, `workspace:${selector.workspaceId}`];
    const ids = await this.inTransaction(async (client) => {
      const deleted = (
        await client.query<{ key_id: string }>(`DELETE FROM cms_data_keys WHERE ${where} RETURNING key_id`, [value])
      ).rows.map((row) => row.key_id);
      await client.query(
        `INSERT INTO cms_destroyed_keys (key_id, destroyed_at) SELECT unnest($1::text[]), $2 ON CONFLICT DO NOTHING`,
        [[...new Set([subject, ...deleted])], at],
      );
      return deleted;
    });
    await this.query('VACUUM cms_data_keys');
    return ids;
  }

  async rewrap(rewrapKey: (key: StoredDataKey) => string, meta: KeyStoreMeta): Promise<number> {
    const count = await this.inTransaction(async (client) => {
      await client.query('SELECT 1 FROM cms_key_store_meta FOR UPDATE');
      const rows = (
        await client.query<KeyRow>('SELECT key_id, workspace_id, owner_id, wrapped FROM cms_data_keys FOR UPDATE')
      ).rows;
      for (const row of rows) {
        await client.query('UPDATE cms_data_keys SET wrapped = $1 WHERE key_id = $2', [
          rewrapKey(fromKeyRow(row)),
          row.key_id,
        ]);
      }
      await client.query('UPDATE cms_key_store_meta SET master_key_id = $1, master_check = $2', [
        meta.masterKeyId,
        meta.masterCheck,
      ]);
      return rows.length;
    });
    await this.query('VACUUM cms_data_keys');
    return count;
  }

  async exportAll(): Promise<KeyStoreContents> {
    const keys = (await this.query<KeyRow>('SELECT key_id, workspace_id, owner_id, wrapped FROM cms_data_keys')).map(
      fromKeyRow,
    );
    const destroyed = (
      await this.query<{ key_id: string; destroyed_at: string }>('SELECT key_id, destroyed_at FROM cms_destroyed_keys')
    ).map((row) => ({ keyId: row.key_id, destroyedAt: row.destroyed_at }));
    return { meta: await this.meta(), keys, destroyed };
  }

  async importAll({ meta, keys, destroyed }: KeyStoreContents): Promise<void> {
    await this.inTransaction(async (client) => {
      if (meta) {
        await client.query(
          `INSERT INTO cms_key_store_meta (only_row, store_id, master_key_id, master_check) VALUES (TRUE, $1, $2, $3)
           ON CONFLICT DO NOTHING`,
          [meta.storeId, meta.masterKeyId, meta.masterCheck],
        );
      }
      for (const key of keys) {
        await client.query(
          `INSERT INTO cms_data_keys (key_id, workspace_id, owner_id, wrapped) VALUES ($1, $2, $3, $4)
           ON CONFLICT (key_id) DO NOTHING`,
          [key.keyId, key.workspaceId, key.ownerId, key.wrapped],
        );
      }
      for (const { keyId, destroyedAt } of destroyed) {
        await client.query(
          'INSERT INTO cms_destroyed_keys (key_id, destroyed_at) VALUES ($1, $2) ON CONFLICT DO NOTHING',
          [keyId, destroyedAt],
        );
      }
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
