import { describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { READ_MODEL_SCHEMA } from '../../src/read-model-schema.js';
import { sqliteProjection } from '../../src/read-models/projection.js';
import { READ_MODELS_CONSUMER, ReadModelDatabase } from '../../src/read-models/read-model-database.js';

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
});
