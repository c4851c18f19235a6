import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openSqlite } from '../../src/common/sqlite.js';
import { describe, expect, it } from '@jest/globals';
import { SqliteEventStore } from '../../src/event-store/sqlite-event-store.js';
import { newDataDir, runCli } from '../support/server-process.js';

const root = join(import.meta.dirname, '../..');
const TOTAL = 6000;

function countEvents(path: string): number {
  if (!existsSync(path)) return 0;
  try {
    const db = openSqlite(path, { readonly: true });
    try {
      return (db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
    } finally {
      db.close();
    }
  } catch {
    return 0; // not created yet
  }
}

async function everyEvent(path: string) {
  const store = new SqliteEventStore(path);
  try {
    return (await store.readAll()).map((e) => [
      e.position,
      e.stream,
      e.revision,
      e.id,
      e.type,
      e.data,
      e.metadata,
      e.recordedAt,
    ]);
  } finally {
    await store.close();
  }
}

describe('copy-events', () => {
  it('copies a SQLite log into another losslessly, resuming after being killed part-way', async () => {
    const source = newDataDir();
    const store = new SqliteEventStore(join(source, 'events.db'), { synchronous: 'NORMAL' });
    for (let i = 0; i < TOTAL / 2; i++) {
      const stream = `device-${i % 40}`;
      const [last] = await store.readStream(stream, { direction: 'backwards', maxCount: 1 });
      await store.append(
        stream,
        [0, 1].map((n) => ({
          id: `00000000-0000-4000-8000-${String(i * 2 + n).padStart(12, '0')}`,
          type: 'MetadataSet',
          data: { custom_metadata: { n: String(i) } },
          metadata: { schema_version: 1, actor: { type: 'cli' as const } },
        })),
        { expectedRevision: last ? last.revision : 'no_stream' },
      );
    }
    await store.close();
    const target = join(newDataDir(), 'copy', 'events.db');

    // Interrupted: killed as soon as part of the log has arrived.
    const copying = spawn(process.execPath, [join(root, 'dist/cli.js'), 'copy-events', '--to', target], {
      env: { ...process.env, DATA_DIR: source },
      stdio: 'ignore',
    });
    while (countEvents(target) === 0 && copying.exitCode === null)
      await new Promise((resolve) => setTimeout(resolve, 5));
    copying.kill('SIGKILL');
    await new Promise((resolve) => copying.once('exit', resolve));
    const partial = countEvents(target);
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(TOTAL);

    const resumed = await runCli(source, ['copy-events', '--to', target]);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/checked: the target holds the source's log up to position \d+/);
    expect(await everyEvent(target)).toEqual(await everyEvent(join(source, 'events.db')));

    // Run again: nothing new, nothing doubled.
    expect((await runCli(source, ['copy-events', '--to', target])).code).toBe(0);
    expect(countEvents(target)).toBe(TOTAL);
  });
});
