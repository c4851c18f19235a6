import { afterAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { immediateTransaction, openSqlite } from '../../src/common/sqlite.js';
import { SqliteEventStore } from '../../src/event-store/sqlite-event-store.js';
import { newDataDir, ServerProcess } from '../support/server-process.js';

// A server on a long log listens at once and says it is catching up, rather than staying silent until done.
describe('start-up on a long log', () => {
  const dataDir = newDataDir();
  const server = new ServerProcess(dataDir);
  afterAll(() => server.stop());

  it('listens at once, answers 503 catching_up until its read models reach the head, then serves', async () => {
    new SqliteEventStore(join(dataDir, 'events.db')).close();
    const db = openSqlite(join(dataDir, 'events.db'), { synchronous: 'OFF' });
    const insert = db.prepare(
      `INSERT INTO events (event_id, stream, revision, type, data, metadata, recorded_at)
       VALUES (?, ?, 0, 'SomethingElse', '{}', '{"schema_version":1}', '2026-11-23T00:00:00.000Z')`,
    );
    // Events of a type no projection reads: the projector still has to step over every one.
    immediateTransaction(db, () => {
      for (let i = 0; i < 400_000; i++) insert.run(`e${i}`, `other-${i}`);
    });
    db.close();

    await server.start({ untilCaughtUp: false });
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(503);
    expect(health.headers.get('retry-after')).toBe('1');
    expect(await health.json()).toMatchObject({ ok: false, error: { type: 'catching_up' } });
    expect((await fetch(`${server.url}/health/ready`)).status).toBe(503);
    expect(await (await fetch(`${server.url}/health/live`)).json()).toEqual({ ok: true });
    const route = await fetch(`${server.url}/devices/list`, { method: 'POST' });
    expect(route.status).toBe(503);
    expect(route.headers.get('retry-after')).toBe('1');
    expect(await route.json()).toMatchObject({ ok: false, error: { type: 'catching_up' } });

    let status = 0;
    for (let i = 0; i < 600 && status !== 200; i++) {
      status = (await fetch(`${server.url}/health`)).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe(200);
    expect((await fetch(`${server.url}/health/ready`)).status).toBe(200);
    // Caught up, routes answer as usual: here 401, since this log holds no workspace.
    expect((await fetch(`${server.url}/devices/list`, { method: 'POST' })).status).toBe(401);
  }, 120_000);
});
