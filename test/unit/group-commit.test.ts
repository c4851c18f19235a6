import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { WrongExpectedRevisionError } from '../../src/event-store/event-store.js';
import { GroupCommit } from '../../src/event-store/group-commit.js';
import { SqliteEventStore } from '../../src/event-store/sqlite-event-store.js';

describe('group commit', () => {
  it('commits what arrives in one turn together, and refuses only the item that failed', async () => {
    const groups: number[][] = [];
    const commits = new GroupCommit<number, string>(async (items) => {
      groups.push([...items]);
      return items.map((n) => (n === 2 ? new Error('two is refused') : `ok ${n}`));
    });
    const answers = await Promise.allSettled([1, 2, 3].map((n) => commits.submit(n)));
    expect(groups).toEqual([[1, 2, 3]]);
    expect(answers.map((a) => (a.status === 'fulfilled' ? a.value : (a.reason as Error).message))).toEqual([
      'ok 1',
      'two is refused',
      'ok 3',
    ]);
    await commits.submit(4);
    expect(groups).toEqual([[1, 2, 3], [4]]);
  });

  it('refuses the whole group when the commit itself fails', async () => {
    const commits = new GroupCommit<number, string>(async () => {
      throw new Error('disk full');
    });
    const answers = await Promise.allSettled([1, 2].map((n) => commits.submit(n)));
    expect(answers.map((a) => a.status)).toEqual(['rejected', 'rejected']);
  });

  it('in the SQLite store: concurrent appends share a commit, a conflict refuses its append alone', async () => {
    const store = new SqliteEventStore(join(mkdtempSync(join(tmpdir(), 'cms-group-')), 'events.db'));
    const event = (id: string) => [{ id, type: 'Tested', data: {}, metadata: {} }];
    const appends = [
      ...Array.from({ length: 10 }, (_, i) =>
        store.append(`s-${i}`, event(`e${i}`), { expectedRevision: 'no_stream' }),
      ),
      store.append('shared', event('first'), { expectedRevision: 'no_stream' }),
      store.append('shared', event('second'), { expectedRevision: 'no_stream' }),
    ];
    const answers = await Promise.allSettled(appends);
    expect(answers.filter((a) => a.status === 'fulfilled')).toHaveLength(11);
    const [refused] = answers.filter((a) => a.status === 'rejected') as PromiseRejectedResult[];
    expect(refused.reason).toBeInstanceOf(WrongExpectedRevisionError);
    const positions = answers.flatMap((a) => (a.status === 'fulfilled' ? [a.value.position] : []));
    expect(positions).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
    expect((await store.readAll()).map((e) => e.id)).toEqual([
      ...Array.from({ length: 10 }, (_, i) => `e${i}`),
      'first',
    ]);
    await store.close();
  });
});
