import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { openSqlite } from '../../src/common/sqlite.js';
import { matchesMetadataTerms, type MetadataTerm } from '../../src/custom-metadata/custom-metadata-selector.js';
import { metadataTermCondition } from '../../src/read-models/custom-metadata-index.js';

// Keys a JSON path would misread unquoted, and values that look alike across types.
const keys = ['k', 'a.b', 'a"b', 'a\\b', '$x', '[0]', 'é', ' ', 'a\u0001b', '1', 'true'];
const values = ['v', 'true', 'false', '1', '', 'a"b', '😀', true, false] as const;
const metadata = fc.dictionary(fc.constantFrom(...keys), fc.constantFrom(...values), { maxKeys: 6 });
const term: fc.Arbitrary<MetadataTerm> = fc.record({
  key: fc.constantFrom(...keys),
  values: fc.option(fc.uniqueArray(fc.constantFrom(...values), { minLength: 1, maxLength: 3 }), { nil: null }),
  negated: fc.boolean(),
});

describe("a selector's term checked on a row's metadata column (metadataTermCondition)", () => {
  it('holds exactly when the reference matcher says it does, for any key and value', () => {
    const db = openSqlite(':memory:');
    // The column as the projections write it: JSON.stringify of the metadata.
    db.exec('CREATE TABLE r (custom_metadata TEXT NOT NULL)');
    fc.assert(
      fc.property(metadata, term, (resourceMetadata, t) => {
        db.prepare('DELETE FROM r').run();
        db.prepare('INSERT INTO r (custom_metadata) VALUES (?)').run(JSON.stringify(resourceMetadata));
        const condition = metadataTermCondition('r.custom_metadata', t);
        const row = db.prepare(`SELECT (${condition.sql}) AS holds FROM r`).get(...condition.params) as {
          holds: number;
        };
        expect(row.holds === 1).toBe(matchesMetadataTerms(resourceMetadata, [t]));
      }),
      { numRuns: 2000 },
    );
  });
});
