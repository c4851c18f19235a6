import { describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
});
