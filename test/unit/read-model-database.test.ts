import { describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DomainEvent } from '../../src/event-store/decider.js';
import type { RecordedEvent } from '../../src/event-store/event-store.js';
import { READ_MODEL_SCHEMA } from '../../src/read-model-schema.js';
import { ReadModelProjector } from '../../src/read-models/projector.js';
import { sqliteProjection } from '../../src/read-models/projection.js';
import { READ_MODELS_CONSUMER, ReadModelDatabase } from '../../src/read-models/read-model-database.js';
import { accountCreated, metadataSetEvent, webviewCreated, WORKSPACE } from '../support/domain-fixtures.js';

const notes = (version: number) =>
  sqliteProjection({
    name: 'notes',
    version,
    handles: [],
    init: (db) => db.exec('CREATE TABLE IF NOT EXISTS notes (id TEXT PRIMARY KEY)'),
    apply: () => undefined,
  });

describe('read-model database', () => {
  it('rebuilds on a schema bump, but keeps the checkpoints of consumers whose effects are in the log', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'cms-rm-')), 'read-models.db');
    const first = new ReadModelDatabase(path, { projections: [notes(1)] });
    first.db.exec("INSERT INTO notes (id) VALUES ('a')");
    first.setCheckpoint(READ_MODELS_CONSUMER, 10);
    first.setCheckpoint('completion_saga', 7);
    first.close();

    const same = new ReadModelDatabase(path, { projections: [notes(1)] });
    expect(same.checkpoint(READ_MODELS_CONSUMER)).toBe(10);
    same.close();

    const bumped = new ReadModelDatabase(path, { projections: [notes(2)] });
    expect(bumped.db.prepare('SELECT COUNT(*) AS n FROM notes').get()).toEqual({ n: 0 });
    expect(bumped.checkpoint(READ_MODELS_CONSUMER)).toBe(0);
    expect(bumped.checkpoint('completion_saga')).toBe(7);
    bumped.close();
  });

  it('builds the read-only indexes after a bulk load, the same as a database built row by row has', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cms-rm-'));
    const indexes = (readModels: ReadModelDatabase) =>
      readModels.db
        .prepare("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name")
        .all()
        .map((row) => ({ ...row }) as { name: string; tbl_name: string; sql: string | null });
    const readIndexNames = READ_MODEL_SCHEMA.projections.flatMap((p) => (p.readIndexes ?? []).map((i) => i.name));
    expect(readIndexNames).toEqual(
      expect.arrayContaining(['custom_metadata_lookup', 'public_events_by_event_id', 'devices_by_workspace']),
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
    expect(bulk.db.prepare('PRAGMA cache_size').get()).toEqual(normal.db.prepare('PRAGMA cache_size').get());
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
    ];
    const events: RecordedEvent[] = domainEvents.map((event, index) => ({
      ...event,
      id: `e${index + 1}`,
      stream: 'spec',
      revision: index,
      position: index + 1,
      metadata: {},
      recordedAt: '2026-11-23T10:00:00.000Z',
    }));
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
      // the search rows, which a bulk load writes once at the end.
      const { search_text: _bulkSearch, ...bulkTables } = bulk.dump();
      const { search_text: normalSearch, ...normalTables } = normal.dump();
      expect(bulkTables).toEqual(normalTables);
      expect(normalSearch.length).toBeGreaterThan(0);
    }
    bulk.makeDurable();
    expect(bulk.dump()).toEqual(normal.dump());
    const search = (db: ReadModelDatabase, text: string) =>
      db.db.prepare(`SELECT rowid FROM resource_search WHERE text LIKE ?`).all(`%${text}%`);
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
    expect(bulk.dump().custom_metadata_entries).toEqual([
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
        .prepare("SELECT value FROM custom_metadata_entries WHERE resource_id = 'cw1'")
        .all()
        .map((r) => r.value),
    ).toEqual(['"t3"']);
    normal.close();
    bulk.close();
  });
});
