import { describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureLogIdentity } from '../../src/event-store/log-identity.js';
import { SqliteEventStore } from '../../src/event-store/sqlite-event-store.js';
import { READ_MODELS_CONSUMER, ReadModelDatabase } from '../../src/read-models/read-model-database.js';
import { READ_MODEL_SCHEMA } from '../../src/read-model-schema.js';

describe('log identity', () => {
  it('is set once on an empty log, whichever of several instances comes first', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'cms-log-')), 'events.db');
    const instances = Array.from({ length: 4 }, () => new SqliteEventStore(path));
    const results = await Promise.all(instances.map((store) => ensureLogIdentity(store)));
    expect(new Set(results.map((r) => r.logId)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await ensureLogIdentity(instances[0])).toEqual({ logId: results[0].logId, created: false });
    await Promise.all(instances.map((store) => store.close()));
  });

  it('keeps read models built from the same log, and drops those built from another with every checkpoint', () => {
    const readModels = new ReadModelDatabase(':memory:', READ_MODEL_SCHEMA);
    expect(readModels.bindToLog('log-a')).toBeNull();
    readModels.db.exec(
      "INSERT INTO workspaces (workspace_id, name, is_sandbox, created_at) VALUES ('w1', 'Acme', 1, 'now')",
    );
    readModels.setCheckpoint(READ_MODELS_CONSUMER, 42);
    readModels.setCheckpoint('completion_saga', 40);
    expect(readModels.bindToLog('log-a')).toBeNull();
    expect(readModels.checkpoint(READ_MODELS_CONSUMER)).toBe(42);

    expect(readModels.bindToLog('log-b')).toBe('log-a');
    expect(readModels.checkpoint(READ_MODELS_CONSUMER)).toBe(0);
    expect(readModels.checkpoint('completion_saga')).toBe(0);
    expect(readModels.db.prepare('SELECT COUNT(*) AS n FROM workspaces').get()).toEqual({ n: 0 });
    readModels.close();
  });
});
