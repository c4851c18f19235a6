import { describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listConnectWebviews } from '../../src/connect-webviews/connect-webview.projection.js';
import { READ_MODEL_SCHEMA } from '../../src/read-model-schema.js';
import { applyEvent } from '../../src/read-models/projection.js';
import { ReadModelDatabase } from '../../src/read-models/read-model-database.js';
import { SHORT_SEARCH_WINDOW } from '../../src/read-models/search-index.js';
import { metadataSetEvent, webviewCreated, WORKSPACE } from '../support/domain-fixtures.js';

/** Read models with `count` webviews, the n-th with customer key `c-<n>` and metadata `{note}` from `noteOf`. */
function webviews(readModels: ReadModelDatabase, count: number, noteOf: (n: number) => string, from = 0) {
  let position = from * 2;
  const apply = (event: { type: string; data: unknown }) => {
    position += 1;
    applyEvent(readModels.db, readModels.projections, {
      id: String(position),
      stream: 's',
      revision: 0,
      position,
      metadata: {},
      recordedAt: '2026-01-01T00:00:00.000Z',
      ...event,
    } as never);
  };
  readModels.transaction(() => {
    for (let n = from; n < from + count; n++) {
      const id = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
      apply(webviewCreated({ connect_webview_id: id, customer_key: `c-${n}` }));
      apply(
        metadataSetEvent({
          resource_type: 'connect_webview',
          resource_id: id,
          previous: {},
          next: { note: noteOf(n) },
          cause: { type: 'created' },
        }),
      );
    }
  });
}

/** Every webview a search finds, page after page, as customer keys. */
function everyMatch(readModels: ReadModelDatabase, search: string): { keys: string[]; pages: number } {
  const keys: string[] = [];
  let continueAfter: number | null = null;
  let pages = 0;
  for (;;) {
    pages++;
    const { items, pagination } = listConnectWebviews(
      readModels.db,
      WORKSPACE,
      { search },
      { limit: 100, continueAfter, paramsHash: 'p' },
      (cursor) => cursor,
    );
    keys.push(...items.map((item) => item.customer_key!));
    if (!pagination.has_next_page) return { keys, pages };
    continueAfter = JSON.parse(Buffer.from(pagination.next_page_cursor!, 'base64').toString()).after as number;
  }
}

describe('search from the index', () => {
  it('finds partial matches case-insensitively, in fields and metadata values, taking % and _ literally', () => {
    const readModels = new ReadModelDatabase(':memory:', READ_MODEL_SCHEMA);
    webviews(readModels, 20, (n) => (n === 3 ? 'Tenant_Alpha 100%' : `tenant-${n}`));
    expect(everyMatch(readModels, 'tenant_alpha').keys).toEqual(['c-3']);
    expect(everyMatch(readModels, 'T_A').keys).toEqual(['c-3']); // `_` is a character, not a wildcard
    expect(everyMatch(readModels, 'nt_').keys).toEqual(['c-3']);
    expect(everyMatch(readModels, '100%').keys).toEqual(['c-3']);
    expect(everyMatch(readModels, '0%').keys).toEqual(['c-3']);
    expect(everyMatch(readModels, 'c-1').keys).toEqual([
      'c-19',
      'c-18',
      'c-17',
      'c-16',
      'c-15',
      'c-14',
      'c-13',
      'c-12',
      'c-11',
      'c-10',
      'c-1',
    ]);
    expect(everyMatch(readModels, 'nothing').keys).toEqual([]);
    // Across two fields, nothing matches: they are kept apart.
    expect(everyMatch(readModels, 'c-3Tenant').keys).toEqual([]);
  });

  it('pages a one- or two-character search through the workspace a bounded read at a time, missing none', () => {
    const readModels = new ReadModelDatabase(':memory:', READ_MODEL_SCHEMA);
    const count = SHORT_SEARCH_WINDOW * 2 + 500;
    const marked = new Set([5, SHORT_SEARCH_WINDOW + 7, count - 2]);
    webviews(readModels, count, (n) => (marked.has(n) ? `q${n}zq` : `plain-${n}`));
    const { keys, pages } = everyMatch(readModels, 'zq');
    expect(keys).toEqual([...marked].sort((a, b) => b - a).map((n) => `c-${n}`));
    expect(pages).toBe(3); // a window a page: the page ends where its read did, and the next goes on below
  });

  it('indexes the rows of read models built before it, once, when they are opened', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'cms-search-')), 'read-models.db');
    const before = new ReadModelDatabase(path, READ_MODEL_SCHEMA);
    webviews(before, 10, (n) => `old-${n}`);
    // As a build from before the index: no search rows, no marker.
    before.db.exec('DELETE FROM connect_webview_search_text; DELETE FROM connect_webview_search_built');
    before.db.exec(`INSERT INTO connect_webview_search (connect_webview_search) VALUES ('delete-all')`);
    expect(everyMatch(before, 'old-7').keys).toEqual([]);
    before.close();
    const reopened = new ReadModelDatabase(path, READ_MODEL_SCHEMA);
    expect(everyMatch(reopened, 'old-7').keys).toEqual(['c-7']);
    webviews(reopened, 1, () => 'new-one', 10);
    expect(everyMatch(reopened, 'new-one').keys).toEqual(['c-10']);
    reopened.close();
  });
});
