import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { openSqlite, type SqliteDatabase } from '../../src/common/sqlite.js';
import type { CustomMetadata } from '../../src/custom-metadata/custom-metadata.js';
import {
  initCustomMetadataIndex,
  metadataKeyCountsTable,
  metadataKeyInventory,
  metadataValueCountsTable,
  removeCustomMetadataIndex,
  setCustomMetadata,
  type MetadataKeyCount,
} from '../../src/read-models/custom-metadata-index.js';
import { pageRequest } from '../../src/read-models/pagination.js';
import { byKey, keyCountsOver } from '../support/metadata-counts.js';

// The key inventory's counts, kept by triggers as the index's entries change, against a count over the
// resources' metadata in plain JavaScript: after any sequence of updates and deletions, and when a file
// made before the counts existed derives them on opening.
const RESOURCES = 12;
const keys = ['tenant', 'plan', 'a"b', 'true'];
// More values than the inventory lists for a key (10), strings and booleans alike.
const values = [...Array.from({ length: 14 }, (_, i) => `v${i}`), 'true', true, false] as const;
const metadata = fc.dictionary(fc.constantFrom(...keys), fc.constantFrom(...values), { maxKeys: 4 });
const operation = fc.oneof(
  fc.record({ set: fc.integer({ min: 0, max: RESOURCES - 1 }), metadata }),
  fc.record({ remove: fc.integer({ min: 0, max: RESOURCES - 1 }) }),
);

const table = { table: 'resources', idColumn: 'id' };
function database(): SqliteDatabase {
  const db = openSqlite(':memory:');
  db.exec(`CREATE TABLE resources (id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, created_position INTEGER NOT NULL,
    custom_metadata TEXT NOT NULL DEFAULT '{}')`);
  initCustomMetadataIndex(db, 'device');
  return db;
}

function inventory(db: SqliteDatabase, limit: number): MetadataKeyCount[] {
  const all: MetadataKeyCount[] = [];
  let cursor: string | null = null;
  do {
    const { items, pagination } = metadataKeyInventory(db, 'device', 'w1', pageRequest({}, limit, cursor), (c) => c);
    all.push(...items);
    cursor = pagination.next_page_cursor;
  } while (cursor);
  return all.sort(byKey);
}

describe('the key inventory (metadataKeyInventory)', () => {
  it("equals a count over the resources' metadata after any updates and deletions, page by page", () => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 60 }), fc.integer({ min: 1, max: 5 }), (operations, limit) => {
        const db = database();
        const live = new Map<number, CustomMetadata>();
        // Another workspace's resources, which no count of w1 may include.
        db.prepare('INSERT INTO resources (id, workspace_id, created_position) VALUES (?, ?, ?)').run(
          'other',
          'w2',
          999,
        );
        setCustomMetadata(
          db,
          table,
          { resource_type: 'device', resource_id: 'other', workspace_id: 'w2' },
          { tenant: 'v0' },
        );
        for (const op of operations) {
          const n = 'set' in op ? op.set : op.remove;
          const resource = { resource_type: 'device' as const, resource_id: `r${n}`, workspace_id: 'w1' };
          if ('set' in op) {
            db.prepare('INSERT OR IGNORE INTO resources (id, workspace_id, created_position) VALUES (?, ?, ?)').run(
              resource.resource_id,
              'w1',
              n + 1,
            );
            setCustomMetadata(db, table, resource, op.metadata);
            live.set(n, op.metadata);
          } else {
            removeCustomMetadataIndex(db, 'device', resource.resource_id);
            db.prepare('DELETE FROM resources WHERE id = ?').run(resource.resource_id);
            live.delete(n);
          }
        }
        const expected = keyCountsOver(live.values());
        expect(inventory(db, limit)).toEqual(expected);
        // No count is left at zero: a pair or key no resource holds is gone from the counts.
        for (const name of [metadataValueCountsTable('device'), metadataKeyCountsTable('device')]) {
          expect(db.prepare(`SELECT count(*) AS n FROM ${name} WHERE resources <= 0`).get()).toEqual({ n: 0 });
        }
        // A file made before the counts existed: derived from its entries when it is opened.
        db.exec(`DROP TABLE ${metadataValueCountsTable('device')}; DROP TABLE ${metadataKeyCountsTable('device')};
          DROP TRIGGER device_metadata_entries_counted_insert; DROP TRIGGER device_metadata_entries_counted_delete;`);
        initCustomMetadataIndex(db, 'device');
        expect(inventory(db, limit)).toEqual(expected);
        db.close();
      }),
      { numRuns: 300 },
    );
  });
});
