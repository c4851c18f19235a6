import { describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { DomainEvent } from '../../src/event-store/decider.js';
import type { RecordedEvent } from '../../src/event-store/event-store.js';
import { READ_MODEL_SCHEMA } from '../../src/read-model-schema.js';
import { ReadModelProjector } from '../../src/read-models/projector.js';
import { sqliteProjection } from '../../src/read-models/projection.js';
import {
  ProjectionDatabase,
  READ_MODELS_CONSUMER,
  ReadModelDatabase,
  rulesOf,
} from '../../src/read-models/read-model-database.js';
import { openSqlite } from '../../src/common/sqlite.js';
import { HistoryNotReady } from '../../src/common/domain-errors.js';
import { connectedAccountReadModel } from '../../src/connected-accounts/index.js';
import { accountCreated, metadataSetEvent, webviewCreated, WORKSPACE } from '../support/domain-fixtures.js';

const tags = (version: number) =>
  sqliteProjection({
    name: 'tags',
    version,
    handles: [],
    init: (db) => db.exec('CREATE TABLE IF NOT EXISTS tags (id TEXT PRIMARY KEY)'),
    apply: () => undefined,
  });

const notes = (version: number) =>
  sqliteProjection({
    name: 'notes',
    version,
    handles: [],
    init: (db) => db.exec('CREATE TABLE IF NOT EXISTS notes (id TEXT PRIMARY KEY)'),
    apply: () => undefined,
  });

/** The events as the log would hand them over: positions 1, 2, … in order, all recorded at one moment. */
const recorded = (events: DomainEvent[]): RecordedEvent[] =>
  events.map((event, index) => ({
    ...event,
    id: `e${index + 1}`,
    stream: 'spec',
    revision: index,
    position: index + 1,
    metadata: {},
    recordedAt: '2026-11-23T10:00:00.000Z',
  }));

/** `connected_accounts/delete`'s record of the account's erasure. */
const accountErased = (id: string): DomainEvent => ({
  type: 'ConnectedAccountDeleted',
  data: { connected_account_id: id, workspace_id: WORKSPACE, device_ids: [], deleted_at: 'x' },
});

describe('read-model database', () => {
  it('rebuilds a projection whose version changed alone, into a new file, and keeps the others and the saga', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cms-rm-'));
    const path = join(dir, 'read-models.db');
    const first = new ReadModelDatabase(path, { projections: [notes(1), tags(1)] });
    first.db.exec("INSERT INTO notes (id) VALUES ('a'); INSERT INTO tags (id) VALUES ('t')");
    first.setCheckpoint(READ_MODELS_CONSUMER, 10);
    first.setCheckpoint('completion_saga', 7);
    const notesV1 = first.part('notes').path;
    first.close();

    const same = new ReadModelDatabase(path, { projections: [notes(1), tags(1)] });
    expect(same.checkpoint(READ_MODELS_CONSUMER)).toBe(10);
    same.close();

    // Version 2 cannot read version 1's tables: a new, empty file; the old one is left to whoever serves it.
    const bumped = new ReadModelDatabase(path, { projections: [notes(2), tags(1)] });
    expect(bumped.db.prepare('SELECT COUNT(*) AS n FROM notes').get()).toEqual({ n: 0 });
    expect(bumped.part('notes').checkpoint()).toBe(0);
    expect(bumped.part('notes').path).not.toBe(notesV1);
    expect(existsSync(notesV1)).toBe(true);
    expect(bumped.db.prepare('SELECT id FROM tags').all()).toEqual([{ id: 't' }]);
    expect(bumped.part('tags').checkpoint()).toBe(10);
    expect(bumped.checkpoint(READ_MODELS_CONSUMER)).toBe(0);
    expect(bumped.checkpoint('completion_saga')).toBe(7);
    expect(bumped.outdated()).toEqual([]);
    // Once a rebuilt file is live, the file of the version it could not read goes too: no longer fed, it
    // would keep what the log erases later.
    const rebuilt = new ProjectionDatabase(bumped.newPartPath(notes(2)), notes(2), rulesOf({ projections: [] }));
    bumped.replacePart(rebuilt);
    expect(existsSync(notesV1)).toBe(false);
    expect(readdirSync(dir).filter((name) => name.includes('--notes') && name.endsWith('.db'))).toEqual([
      basename(rebuilt.path),
    ]);
    bumped.close();
  });

  it('serves an older version it can read until a rebuilt file replaces it, in one step', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cms-rm-'));
    const path = join(dir, 'read-models.db');
    const first = new ReadModelDatabase(path, { projections: [notes(1), tags(1)] });
    first.db.exec("INSERT INTO notes (id) VALUES ('old')");
    first.setCheckpoint(READ_MODELS_CONSUMER, 10);
    const notesV1 = first.part('notes').path;
    first.close();

    const upgraded = { ...notes(2), readableFrom: 1 };
    const live = new ReadModelDatabase(path, { projections: [upgraded, tags(1)] });
    expect(live.outdated()).toEqual([{ name: 'notes', from: 1, to: 2 }]);
    expect(live.db.prepare('SELECT id FROM notes').all()).toEqual([{ id: 'old' }]);
    expect(live.checkpoint(READ_MODELS_CONSUMER)).toBe(10);

    const rebuilt = new ProjectionDatabase(live.newPartPath(upgraded), upgraded, rulesOf({ projections: [] }));
    rebuilt.db.exec("INSERT INTO notes (id) VALUES ('new')");
    rebuilt.transaction(() => rebuilt.setCheckpoint(12));
    live.replacePart(rebuilt);
    expect(live.db.prepare('SELECT id FROM notes').all()).toEqual([{ id: 'new' }]);
    expect(live.outdated()).toEqual([]);
    expect(existsSync(notesV1)).toBe(false);
    live.close();

    // The main file names the new file: a restart serves it.
    const reopened = new ReadModelDatabase(path, { projections: [upgraded, tags(1)] });
    expect(reopened.db.prepare('SELECT id FROM notes').all()).toEqual([{ id: 'new' }]);
    expect(reopened.part('notes').checkpoint()).toBe(12);
    reopened.close();
  });

  it('feeds an older version without a history while it serves, erasures too, and lists as of a moment wait', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cms-rm-'));
    const path = join(dir, 'read-models.db');
    // The file a build before the history wrote: its oldest readable version, no history.
    const { history: _history, ...older } = { ...connectedAccountReadModel, version: 4 };
    new ReadModelDatabase(path, { projections: [older] }).close();
    const live = new ReadModelDatabase(path, { projections: [connectedAccountReadModel] });
    expect(live.outdated()).toEqual([{ name: 'connected_accounts', from: 4, to: connectedAccountReadModel.version }]);
    const events = recorded([accountCreated('a1'), accountErased('a1')]);
    new ReadModelProjector(live).handle(events.slice(0, 1));
    expect(live.db.prepare('SELECT connected_account_id FROM connected_accounts').all()).toHaveLength(1);
    new ReadModelProjector(live).handle(events.slice(1));
    expect(live.db.prepare('SELECT connected_account_id FROM connected_accounts').all()).toEqual([]);
    expect(() => live.requireHistory('connected_accounts')).toThrow(HistoryNotReady);
    live.close();
  });

  it('empties a main file that a build keeping every projection in it left, and keeps the saga checkpoint', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'cms-rm-')), 'read-models.db');
    const legacy = openSqlite(path, { synchronous: 'NORMAL' });
    legacy.exec(`CREATE TABLE read_model_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      INSERT INTO read_model_meta VALUES ('schema_version', 'notes@1');
      CREATE TABLE checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL);
      INSERT INTO checkpoints VALUES ('read_models', 10), ('completion_saga', 7);
      CREATE TABLE notes (id TEXT PRIMARY KEY); INSERT INTO notes VALUES ('a');`);
    legacy.close();
    const readModels = new ReadModelDatabase(path, { projections: [notes(1)] });
    expect(readModels.db.prepare('SELECT COUNT(*) AS n FROM notes').get()).toEqual({ n: 0 });
    expect(readModels.db.prepare("SELECT name FROM main.sqlite_master WHERE name = 'notes'").all()).toEqual([]);
    expect(readModels.checkpoint(READ_MODELS_CONSUMER)).toBe(0);
    expect(readModels.checkpoint('completion_saga')).toBe(7);
    readModels.close();
  });

  it('builds the read-only indexes after a bulk load, the same as a database built row by row has', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cms-rm-'));
    const indexes = (readModels: ReadModelDatabase) =>
      readModels.parts
        .flatMap((part) => part.db.prepare("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index'").all())
        .map((row) => ({ ...row }) as { name: string; tbl_name: string; sql: string | null })
        .sort((a, b) => a.name.localeCompare(b.name));
    const cacheSizes = (readModels: ReadModelDatabase) =>
      readModels.parts.map((part) => part.db.prepare('PRAGMA cache_size').get());
    const readIndexNames = READ_MODEL_SCHEMA.projections.flatMap((p) => (p.readIndexes ?? []).map((i) => i.name));
    expect(readIndexNames).toEqual(
      expect.arrayContaining(['device_metadata_lookup', 'public_events_by_event_id', 'devices_by_workspace']),
    );

    const normal = new ReadModelDatabase(join(dir, 'normal.db'), READ_MODEL_SCHEMA);
    const bulk = new ReadModelDatabase(join(dir, 'bulk.db'), READ_MODEL_SCHEMA);
    bulk.bulkLoad();
    const duringLoad = indexes(bulk).map((index) => index.name);
    expect(duringLoad.filter((name) => readIndexNames.includes(name))).toEqual([]);
    // What apply needs stays: the primary keys and the projections' own lookups.
    expect(duringLoad).toEqual(expect.arrayContaining(['devices_by_account', 'public_event_devices_by_account']));
    bulk.makeDurable();

    expect(indexes(bulk)).toEqual(indexes(normal));
    expect(cacheSizes(bulk)).toEqual(cacheSizes(normal));
    expect(() =>
      bulk.db.exec(`INSERT INTO public_events (sequence, event_id, workspace_id, event_type, occurred_at, body)
                    VALUES (1, 'e', 'w', 't', 'o', '{}'), (2, 'e', 'w', 't', 'o', '{}')`),
    ).toThrow(/UNIQUE constraint failed: public_events.event_id/);
    normal.close();
    bulk.close();
  });

  it('loads in bulk, each resource indexed once per batch, to exactly the rows a row-by-row projector writes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cms-rm-'));
    const metadata = (
      resource_type: 'connect_webview' | 'connected_account',
      resource_id: string,
      next: Record<string, string | boolean>,
    ) => metadataSetEvent({ resource_type, resource_id, previous: {}, next, cause: { type: 'api_update' } });
    const domainEvents: DomainEvent[] = [
      webviewCreated(),
      metadata('connect_webview', 'cw1', { tenant: 't1' }),
      metadata('connect_webview', 'cw1', { tenant: 't2', vip: true }),
      webviewCreated({ connect_webview_id: 'cw2' }),
      metadata('connect_webview', 'cw2', { gone: 'soon' }),
      { type: 'ConnectWebviewDeleted', data: { connect_webview_id: 'cw2', workspace_id: WORKSPACE, deleted_at: 'x' } },
      accountCreated('a1'),
      metadata('connected_account', 'a1', { internal_account_id: 'user-1' }),
      metadata('connected_account', 'a1', {}),
      metadata('connected_account', 'a1', { internal_account_id: 'user-2', plan: 'pro' }),
      // An erased account: its past goes with it, in both.
      accountCreated('a2'),
      metadata('connected_account', 'a2', { internal_account_id: 'user-3' }),
      accountErased('a2'),
    ];
    const events = recorded(domainEvents);
    const normal = new ReadModelDatabase(join(dir, 'normal.db'), READ_MODEL_SCHEMA);
    const bulk = new ReadModelDatabase(join(dir, 'bulk.db'), READ_MODEL_SCHEMA);
    bulk.bulkLoad();
    for (const [from, to] of [
      [0, 3],
      [3, 8],
      [8, events.length],
    ]) {
      new ReadModelProjector(normal).handle(events.slice(from, to));
      new ReadModelProjector(bulk).handle(events.slice(from, to));
      // At each batch's end, what the bulk load deferred is written: the two agree batch by batch, but for
      // the search rows, the key inventory's counts and the history (row-history.ts), which a bulk load
      // derives once at the end.
      const derivedAtTheEnd = /(_search_text|_versions|_history_forgotten|_metadata_(key|value)_counts)$/;
      const withoutDerived = (dump: Record<string, unknown[]>) =>
        Object.fromEntries(Object.entries(dump).filter(([table]) => !derivedAtTheEnd.test(table)));
      expect(withoutDerived(bulk.dump())).toEqual(withoutDerived(normal.dump()));
      const searchRows = Object.entries(normal.dump()).filter(([table]) => table.endsWith('_search_text'));
      expect(searchRows.flatMap(([, rows]) => rows).length).toBeGreaterThan(0);
    }
    bulk.makeDurable();
    // The history derived at the end is the one the live triggers wrote: every version and interval, the
    // deleted webview's closed at its deletion.
    expect(bulk.dump()).toEqual(normal.dump());
    expect(normal.dump().connect_webview_metadata_entry_versions).toHaveLength(4);
    // The counts derived at the end are those the triggers kept, row by row.
    expect(bulk.dump().connected_account_metadata_key_counts).toEqual([
      { workspace_id: WORKSPACE, key: 'internal_account_id', resources: 1 },
      { workspace_id: WORKSPACE, key: 'plan', resources: 1 },
    ]);
    expect(JSON.stringify(bulk.dump())).not.toContain('user-3');
    const search = (db: ReadModelDatabase, text: string) =>
      db.db.prepare(`SELECT rowid FROM connected_account_search WHERE text LIKE ?`).all(`%${text}%`);
    expect(search(bulk, 'user-2')).toEqual(search(normal, 'user-2'));
    expect(search(bulk, 'user-2')).toHaveLength(1);
    // Each entry carries its resource's creation position: the lists' order, read from the index.
    const position = (table: string, id: string, key: string) =>
      (
        bulk.db.prepare(`SELECT created_position FROM ${table} WHERE ${key} = ?`).get(id) as {
          created_position: number;
        }
      ).created_position;
    const webview = position('connect_webviews', 'cw1', 'connect_webview_id');
    const account = position('connected_accounts', 'a1', 'connected_account_id');
    const dump = bulk.dump();
    expect([...dump.connect_webview_metadata_entries, ...dump.connected_account_metadata_entries]).toEqual([
      {
        resource_type: 'connect_webview',
        resource_id: 'cw1',
        workspace_id: WORKSPACE,
        key: 'tenant',
        value: '"t2"',
        created_position: webview,
      },
      {
        resource_type: 'connect_webview',
        resource_id: 'cw1',
        workspace_id: WORKSPACE,
        key: 'vip',
        value: 'true',
        created_position: webview,
      },
      {
        resource_type: 'connected_account',
        resource_id: 'a1',
        workspace_id: WORKSPACE,
        key: 'internal_account_id',
        value: '"user-2"',
        created_position: account,
      },
      {
        resource_type: 'connected_account',
        resource_id: 'a1',
        workspace_id: WORKSPACE,
        key: 'plan',
        value: '"pro"',
        created_position: account,
      },
    ]);
    // Made durable, it writes at once again, like any live database.
    new ReadModelProjector(bulk).handle([
      {
        ...events[1],
        id: 'e11',
        position: 11,
        data: { ...(events[1].data as object), custom_metadata: { tenant: 't3' } },
      },
    ]);
    expect(
      bulk.db
        .prepare("SELECT value FROM connect_webview_metadata_entries WHERE resource_id = 'cw1'")
        .all()
        .map((r) => r.value),
    ).toEqual(['"t3"']);
    normal.close();
    bulk.close();
  });
});
