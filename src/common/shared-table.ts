import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { AppConfig } from './config.js';
import { prepared } from './prepared.js';
import { openSqlite, type SqliteDatabase } from './sqlite.js';

type Param = string | number | null;

/**
 * State that is not derived from the log but belongs to the deployment (webhook delivery progress, parked
 * saga events, API-key usage): the same statements (`?` placeholders) on either database. With one instance
 * it is a SQLite file in DATA_DIR; with EVENT_STORE=postgres it is a table beside the log, which every
 * instance reads and writes, so each of them tells an operator the same.
 */
export interface SharedTable {
  run(sql: string, params: Param[]): Promise<void>;
  rows<Row>(sql: string, params: Param[]): Promise<Row[]>;
  close(): Promise<void>;
}

/** A SQLite file, set up by `setUp` (its table, and any change to an older file's) when opened. */
export function sqliteTable(
  path: string,
  synchronous: 'FULL' | 'NORMAL',
  setUp: (db: SqliteDatabase) => void,
): SharedTable {
  const db = openSqlite(path, { synchronous });
  setUp(db);
  return {
    run: async (sql, params) => void prepared(db, sql).run(...params),
    rows: async <Row>(sql: string, params: Param[]) => prepared(db, sql).all(...params) as unknown as Row[],
    close: async () => db.close(),
  };
}

/**
 * A table in the PostgreSQL database at `connectionString`, created (`create`) at its first use, over a
 * small pool of its own (at most `maxConnections`) that `close` ends.
 */
export function postgresTable(
  connectionString: string,
  create: string,
  {
    maxConnections = 2,
    deadlineMs = 5_000,
    setUp,
  }: { maxConnections?: number; deadlineMs?: number; setUp?: (pool: pg.Pool) => Promise<void> } = {},
): SharedTable {
  const pool = new pg.Pool({ connectionString, max: maxConnections, connectionTimeoutMillis: deadlineMs });
  pool.on('error', () => undefined); // an idle client's error: the next query reports it
  return { ...postgresTableOn(pool, create, setUp), close: () => pool.end() };
}

/** The same, on a pool the caller owns (and ends); `setUp` runs once, after the table is created. */
export function postgresTableOn(pool: pg.Pool, create: string, setUp?: (pool: pg.Pool) => Promise<void>): SharedTable {
  let ready: Promise<unknown> | undefined;
  const query = async (sql: string, params: Param[]) => {
    ready ??= (async () => {
      await pool.query(create);
      await setUp?.(pool);
    })().catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    await ready;
    let n = 0;
    return pool.query(
      sql.replace(/\?/g, () => `$${++n}`),
      params,
    );
  };
  return {
    run: async (sql, params) => void (await query(sql, params)),
    rows: async <Row>(sql: string, params: Param[]) => (await query(sql, params)).rows as Row[],
    close: async () => undefined,
  };
}

/** One table of the deployment's own state, and where a single instance keeps it. */
export interface SharedTableSpec {
  name: string;
  columns: string;
  /** The SQLite file in DATA_DIR, for a single instance. */
  file: string;
  synchronous: 'FULL' | 'NORMAL';
  /** The table's name in files written before it was shared: renamed when found. */
  oldName?: string;
}

/**
 * The table where this deployment keeps it: beside the log in PostgreSQL (EVENT_STORE=postgres), so that
 * every instance sees the same, or in DATA_DIR's SQLite file otherwise.
 */
export function openSharedTable(config: Pick<AppConfig, 'dataDir' | 'eventStore'>, spec: SharedTableSpec): SharedTable {
  const create = `CREATE TABLE IF NOT EXISTS ${spec.name} (${spec.columns})`;
  if (config.eventStore.kind === 'postgres') {
    const local = join(config.dataDir, spec.file);
    return postgresTable(config.eventStore.connectionString, create, {
      deadlineMs: config.eventStore.deadlineMs,
      setUp: (pool) => adoptLocalFile(pool, local, spec),
    });
  }
  return sqliteTable(join(config.dataDir, spec.file), spec.synchronous, (db) => {
    const old =
      spec.oldName && db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(spec.oldName);
    if (old) db.exec(`ALTER TABLE ${spec.oldName} RENAME TO ${spec.name}`);
    db.exec(create);
  });
}

/**
 * An instance that kept this table in its own file before it was shared (an upgrade, or a switch to
 * PostgreSQL) hands its rows over at first use, the shared ones winning, and renames the file so they are
 * handed over once.
 */
async function adoptLocalFile(pool: pg.Pool, path: string, spec: SharedTableSpec): Promise<void> {
  if (!existsSync(path)) return;
  const db = openSqlite(path, { readonly: true });
  let rows: Record<string, Param>[];
  try {
    const names = [spec.name, spec.oldName].filter((name) => name !== undefined);
    const found = names.find((name) =>
      db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name),
    );
    rows = found ? (db.prepare(`SELECT * FROM ${found}`).all() as Record<string, Param>[]) : [];
  } finally {
    db.close();
  }
  for (const row of rows) {
    const columns = Object.keys(row);
    await pool.query(
      `INSERT INTO ${spec.name} (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})
       ON CONFLICT DO NOTHING`,
      Object.values(row),
    );
  }
  renameSync(path, `${path}.adopted`);
}
