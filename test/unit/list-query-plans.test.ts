import { describe, expect, it } from '@jest/globals';
import { CONNECT_WEBVIEWS_LISTING } from '../../src/connect-webviews/connect-webview.projection.js';
import { CONNECTED_ACCOUNTS_LISTING } from '../../src/connected-accounts/connected-account.projection.js';
import { deviceListFilter, DEVICES_LISTING, type DeviceFilter } from '../../src/devices/device.projection.js';
import { READ_MODEL_SCHEMA } from '../../src/read-model-schema.js';
import { listStatement, type ListedTable, type ListFilter } from '../../src/read-models/list-newest-first.js';
import type { SqliteValue } from '../../src/common/sqlite.js';
import { ReadModelDatabase } from '../../src/read-models/read-model-database.js';
import {
  closeOpenVersionsSql,
  entryVersionsTable,
  metadataVersionsTable,
  rowVersionsTable,
} from '../../src/read-models/row-history.js';
import type { CustomMetadataMatch } from '../../src/custom-metadata/custom-metadata-selector.js';

/**
 * Every list query shape with `custom_metadata_has` follows the metadata index to the resources that match,
 * in page order: no full scan of the resource table, no walk over the whole workspace, and no sort of all the
 * matches (`USE TEMP B-TREE FOR ORDER BY`), so a page costs the same however many resources match.
 */
const SHAPES: Record<string, Record<string, string | boolean>> = {
  'one string key': { internal_account_id: 'user-1' },
  'one boolean key': { vip: true },
  'several keys, strings and booleans': { internal_account_id: 'user-1', vip: true, tenant: 't1' },
};
const TABLES: [string, ListedTable][] = [
  ['connect_webviews', CONNECT_WEBVIEWS_LISTING],
  ['connected_accounts', CONNECTED_ACCOUNTS_LISTING],
  ['devices', DEVICES_LISTING],
];

describe('list query plans', () => {
  const readModels = new ReadModelDatabase(':memory:', READ_MODEL_SCHEMA);
  /** The steps of a statement's query plan. */
  const stepsOf = ({ sql, params }: { sql: string; params: SqliteValue[] }) =>
    (readModels.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map(
      (row) => row.detail,
    );
  /** A route's filter: a device list's own conditions added to it. */
  const routeFilter = (devices: DeviceFilter | undefined, filter: ListFilter) =>
    devices ? deviceListFilter({ ...devices, ...filter }) : filter;
  const page = (continueAfter: number | null) => ({ limit: 100, continueAfter, paramsHash: '' });
  const MOMENT = Date.parse('2026-03-01T00:00:00Z');
  const plan = (
    source: ListedTable,
    customMetadataHas: Record<string, string | boolean>,
    continueAfter: number | null,
    devices?: DeviceFilter,
  ) => {
    const { sql, params } = listStatement(
      source,
      'w1',
      devices ? deviceListFilter({ ...devices, customMetadataHas }) : { customMetadataHas },
      { limit: 500, continueAfter, paramsHash: '' },
    );
    return (readModels.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map(
      (row) => row.detail,
    );
  };

  // Seam's other device lists: devices/unmanaged/list, locks/list, thermostats/list, noise_sensors/list, with
  // the filters they add.
  const DEVICE_LISTS: [string, DeviceFilter][] = [
    ['devices/unmanaged/list', { managed: false }],
    ['locks/list', { managed: true, kind: 'lock' }],
    ['thermostats/list', { managed: true, kind: 'thermostat', customerKey: 'c1' }],
    ['noise_sensors/list', { managed: true, kind: 'noise_sensor', includeIf: ['can_remotely_unlock'] }],
  ];
  const routes: [string, ListedTable, DeviceFilter | undefined][] = [
    ...TABLES.map(([table, source]): [string, ListedTable, undefined] => [table, source, undefined]),
    ...DEVICE_LISTS.map(([route, filter]): [string, ListedTable, DeviceFilter] => [route, DEVICES_LISTING, filter]),
  ];
  for (const [table, source, devices] of routes) {
    for (const [shape, has] of Object.entries(SHAPES)) {
      it(`${table}, ${shape}: reads the metadata index in page order, finds each resource by its position`, () => {
        for (const continueAfter of [null, 1000]) {
          const steps = plan(source, has, continueAfter, devices);
          // The index is the outer loop, read newest first: the page is its first matches.
          expect(steps[0]).toMatch(
            continueAfter === null
              ? /^SEARCH m USING (COVERING )?INDEX \w+_metadata_lookup \(resource_type=\? AND workspace_id=\? AND key=\? AND value=\?\)$/
              : /^SEARCH m USING (COVERING )?INDEX \w+_metadata_lookup \(resource_type=\? AND workspace_id=\? AND key=\? AND value=\? AND created_position<\?\)$/,
          );
          expect(steps.filter((step) => /TEMP B-TREE/.test(step))).toEqual([]);
          expect(steps).toContainEqual(expect.stringMatching(foundByKey(source)));
          expect(steps.filter((step) => /^(SCAN|SEARCH) r\b/.test(step) && !foundByKey(source).test(step))).toEqual([]);
        }
      });
    }
  }

  // `custom_metadata_match` (an extension), alone and with `custom_metadata_has`: a positive term drives from
  // an index in page order (a value and `in` from the value lookup, `in` merging one read per value;
  // `exists: true` from the key index), the other terms checked on each match's own row. Negated terms
  // alone walk the workspace's index newest first. Nothing is sorted and the resource table is never scanned.
  // Each match's row: one seek by its key, the devices' creation position (their rowid) or the others' id.
  const foundByKey = (source: ListedTable) =>
    source.keyedByPosition
      ? /^SEARCH r USING INTEGER PRIMARY KEY \(rowid=\?\)$/
      : new RegExp(`^SEARCH r USING INDEX sqlite_autoindex_${source.table}_1 \\(${source.idColumn}=\\?\\)$`);
  // A search's: by its creation position, the devices' rowid or the others' workspace index.
  const foundByPosition = (source: ListedTable) =>
    source.keyedByPosition
      ? /^SEARCH r USING INTEGER PRIMARY KEY \(rowid=\?\)$/
      : /^SEARCH r USING INDEX \w+_by_workspace \(workspace_id=\? AND created_position=\?\)$/;
  const SELECTORS: [string, { has?: Record<string, string | boolean>; match: CustomMetadataMatch }, RegExp][] = [
    ['a value', { match: { tenant: 't1' } }, /^SEARCH m USING (COVERING )?INDEX \w+_metadata_lookup \(.*value=\?/],
    ['a boolean', { match: { vip: false } }, /^SEARCH m USING (COVERING )?INDEX \w+_metadata_lookup \(.*value=\?/],
    [
      'in',
      { match: { tenant: { in: ['t1', 't2', 't3'] } } },
      /^SEARCH m USING (COVERING )?INDEX \w+_metadata_lookup \(.*value=\?/,
    ],
    [
      'exists: true',
      { match: { tenant: { exists: true } } },
      /^SEARCH m USING (COVERING )?INDEX \w+_metadata_by_key \(resource_type=\? AND workspace_id=\? AND key=\?/,
    ],
    [
      'not_in alone',
      { match: { tier: { not_in: ['trial', 'free'] } } },
      /^SEARCH r USING INDEX \w+_by_workspace \(workspace_id=\?/,
    ],
    [
      'exists: false alone',
      { match: { internal_id: { exists: false } } },
      /^SEARCH r USING INDEX \w+_by_workspace \(workspace_id=\?/,
    ],
    [
      'every form at once',
      {
        match: {
          tenant: { in: ['t1', 't2'] },
          plan: 'pro',
          internal_id: { exists: false },
          tier: { not_in: ['trial'] },
          region: { exists: true },
        },
      },
      /^SEARCH m USING (COVERING )?INDEX \w+_metadata_lookup \(.*value=\?/,
    ],
    [
      'in with custom_metadata_has',
      { has: { vip: true }, match: { tenant: { in: ['t1', 't2'] } } },
      /^SEARCH m USING (COVERING )?INDEX \w+_metadata_lookup \(.*value=\?/,
    ],
  ];
  for (const [table, source, devices] of routes) {
    for (const [shape, { has, match }, driver] of SELECTORS) {
      it(`${table}, custom_metadata_match, ${shape}: an index in page order, nothing sorted`, () => {
        for (const continueAfter of [null, 1000]) {
          const filter = { customMetadataHas: has, customMetadataMatch: match };
          const steps = stepsOf(listStatement(source, 'w1', routeFilter(devices, filter), page(continueAfter)));
          const reads = steps.filter((step) => /^(SEARCH|SCAN) (m|r)\b/.test(step));
          expect(reads[0]).toMatch(driver);
          if (continueAfter !== null) expect(reads[0]).toMatch(/created_position<\?/);
          expect(steps.filter((step) => /TEMP B-TREE|^SCAN/.test(step))).toEqual([]);
          // Every other term is checked on the candidate's own row: no other read at all.
          expect(steps.filter((step) => /^(SEARCH|SCAN) (?!m |r )/.test(step))).toEqual([]);
          if (!/_by_workspace/.test(driver.source))
            expect(steps.filter((step) => /^(SCAN|SEARCH) r\b/.test(step) && !foundByKey(source).test(step))).toEqual(
              [],
            );
        }
      });
    }
  }

  // As of a moment (`as_of`, an extension): the same shapes, read from the history the projections keep
  // (row-history.ts). A positive term drives from its entries' intervals in page order, a negated one or none
  // from the row versions in page order; each candidate's version and metadata then are one seek each, by
  // its creation position (candidates in page order read neighbouring index pages, not one per id).
  const historyDriver = (live: RegExp) =>
    /_metadata_lookup/.test(live.source)
      ? /^SEARCH e USING COVERING INDEX \w+_metadata_entry_versions_by_value \(workspace_id=\? AND key=\? AND value=\?/
      : /_metadata_by_key/.test(live.source)
        ? /^SEARCH e USING COVERING INDEX \w+_metadata_entry_versions_by_key \(workspace_id=\? AND key=\?/
        : /^SEARCH r USING INDEX \w+_versions_in_page_order \(workspace_id=\?/;
  const AS_OF_SHAPES: [string, { has?: Record<string, string | boolean>; match?: CustomMetadataMatch }, RegExp][] = [
    ...SELECTORS,
    ['custom_metadata_has alone', { has: { tenant: 't1' } }, /_metadata_lookup/],
    ['no metadata filter', {}, /_by_workspace/],
  ];
  for (const [table, source, devices] of routes) {
    for (const [shape, { has, match }, live] of AS_OF_SHAPES) {
      it(`${table}, as_of, ${shape}: the history's indexes in page order, nothing sorted`, () => {
        for (const continueAfter of [null, 1000]) {
          const filter = { customMetadataHas: has, customMetadataMatch: match, asOf: MOMENT };
          const steps = stepsOf(listStatement(source, 'w1', routeFilter(devices, filter), page(continueAfter)));
          const [driver] = steps.filter((step) => /^(SEARCH|SCAN) (e|r)\b/.test(step));
          expect(driver).toMatch(historyDriver(live));
          // Bounded above by the creation position reached by the moment, on every page.
          expect(driver).toMatch(/created_position<\?/);
          expect(steps.filter((step) => /TEMP B-TREE|^SCAN/.test(step))).toEqual([]);
          // Where the read starts: the highest creation position reached by the moment, one seek.
          expect(steps).toContainEqual(
            expect.stringMatching(
              /^SEARCH \w+_creations USING COVERING INDEX \w+_creations_by_time \(workspace_id=\? AND created_time<\?\)$/,
            ),
          );
          const lookups = steps.filter((step) => /^SEARCH (v|mv|e2)\b/.test(step));
          expect(lookups).toContainEqual(
            expect.stringMatching(
              /^SEARCH mv USING INDEX \w+_metadata_versions_by_position \(created_position=\? AND valid_from<\?\)$/,
            ),
          );
          for (const lookup of lookups)
            expect(lookup).toMatch(
              /^SEARCH (v USING COVERING INDEX \w+_versions_by_position \(created_position=\? AND valid_from<\?\)|mv USING INDEX \w+_metadata_versions_by_position \(created_position=\? AND valid_from<\?\))$/,
            );
        }
      });
    }
  }

  // A search as of a moment matches the text as it was: the row versions in page order, within a bounded
  // window a page (as a short search's), nothing sorted.
  for (const [table, source] of TABLES) {
    it(`${table}, as_of and search: the row versions in page order within a window`, () => {
      for (const continueAfter of [null, 1000]) {
        const steps = stepsOf(listStatement(source, 'w1', { search: 'user-1', asOf: MOMENT }, page(continueAfter), 10));
        expect(steps[0]).toMatch(
          /^SEARCH r USING INDEX \w+_versions_in_page_order \(workspace_id=\? AND created_position>\?/,
        );
        expect(steps.filter((step) => /TEMP B-TREE|^SCAN (?!json_each)/.test(step))).toEqual([]);
      }
    });
  }

  // Without `custom_metadata_has`: the workspace's index, newest first, each filter checked on the way. Only
  // `device_ids` is sorted, and it matches at most the ids it names (50 at most).
  const FILTERS: [string, DeviceFilter][] = [
    ['no filter', { managed: true }],
    ['a kind', { managed: true, kind: 'lock' }],
    ['connected_account_ids', { managed: true, connectedAccountIds: ['a1', 'a2'] }],
    ['connect_webview_id', { managed: true, connectWebviewId: 'c1' }],
    ['device_types', { managed: true, deviceTypes: ['august_lock'] }],
    ['created_before', { managed: true, createdBefore: '2026-01-01T00:00:00.000Z' }],
  ];
  const sortFree = (source: ListedTable, filter: Parameters<typeof listStatement>[2]) => {
    for (const continueAfter of [null, 1000]) {
      const { sql, params } = listStatement(source, 'w1', filter, { limit: 100, continueAfter, paramsHash: '' });
      const steps = (readModels.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map(
        (row) => row.detail,
      );
      expect(steps).toEqual([expect.stringMatching(/^SEARCH r USING INDEX \w+_by_workspace \(workspace_id=\?/)]);
    }
  };
  for (const [name, filter] of FILTERS) {
    it(`devices, ${name}: reads the workspace's index in page order, nothing sorted`, () =>
      sortFree(DEVICES_LISTING, deviceListFilter(filter)));
  }
  for (const [table, source] of TABLES.slice(0, 2)) {
    it(`${table}, no filter: reads the workspace's index in page order, nothing sorted`, () => sortFree(source, {}));
  }

  // `search`: from the trigram index (three characters or more) or the workspace's own search rows (fewer),
  // newest first in the index's own order: no scan of the resource table, no walk of the workspace, no sort.
  const searchPlan = (source: ListedTable, search: string, continueAfter: number | null, withHas: boolean) => {
    const { sql, params } = listStatement(
      source,
      'w1',
      { search, ...(withHas ? { customMetadataHas: { tenant: 't1' } } : {}) },
      { limit: 100, continueAfter, paramsHash: '' },
      continueAfter === null ? null : 10,
    );
    return (readModels.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map(
      (row) => row.detail,
    );
  };
  for (const [table, source] of TABLES) {
    for (const withHas of [false, true]) {
      it(`${table}, search${withHas ? ' and custom_metadata_has' : ''}: the trigram index, or a bounded read`, () => {
        for (const continueAfter of [null, 1000]) {
          const long = searchPlan(source, 'user-1', continueAfter, withHas);
          expect(long[0]).toMatch(/^SCAN f VIRTUAL TABLE INDEX \d+:L/); // LIKE answered by the trigram index
          expect(long).toContainEqual('SEARCH s USING INTEGER PRIMARY KEY (rowid=?)');
          const short = searchPlan(source, 'u1', continueAfter, withHas);
          expect(short[0]).toMatch(
            /^SEARCH s USING INDEX \w+_search_text_by_workspace \(workspace_id=\? AND resource_type=\? AND position>\? AND position<\?\)/,
          );
          for (const steps of [long, short]) {
            expect(steps).toContainEqual(expect.stringMatching(foundByPosition(source)));
            expect(steps.filter((step) => /^SCAN r\b|TEMP B-TREE/.test(step))).toEqual([]);
          }
        }
      });
    }
  }

  // The history's live triggers close a resource's open versions on every change: one seek in the index of
  // open versions, never a read of every version the resource ever had (3.7 ms a change after 20,000 changes).
  it("closes a resource's open versions, in the history's triggers, through the index of open versions", () => {
    for (const [, source] of TABLES) {
      const closes: [string, string][] = [
        [rowVersionsTable(source.table), source.idColumn],
        [metadataVersionsTable(source.resourceType), 'resource_id'],
        [entryVersionsTable(source.resourceType), 'resource_id'],
      ];
      for (const [versions, column] of closes) {
        const steps = stepsOf({ sql: closeOpenVersionsSql(versions, '?', column), params: ['id-1'] });
        expect(steps).toEqual([`SEARCH ${versions} USING INDEX ${versions}_open (${column}=?)`]);
      }
    }
  });
});
