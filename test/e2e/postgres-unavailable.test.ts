import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { postgresForTests } from '../support/postgres.js';
import { ServerProcess } from '../support/server-process.js';

// The PostgreSQL server stops under a running instance, then comes back: health says so at once, reads go on
// from the read models, writes are refused with 503 (nothing half-written), and all recovers by itself.
const postgres = await postgresForTests('the PostgreSQL outage test', { own: true });

(('skip' in postgres ? describe.skip : describe) as typeof describe)(
  'EVENT_STORE=postgres when PostgreSQL stops',
  () => {
    let server: ServerProcess;
    let webviewId: string;
    beforeAll(async () => {
      if ('skip' in postgres) return;
      server = new ServerProcess(undefined, {
        EVENT_STORE: 'postgres',
        DATABASE_URL: await postgres.createDatabase(),
        POSTGRES_DEADLINE_MS: '1000',
      });
      await server.start();
      webviewId = (await server.post('/connect_webviews/create', {})).body.connect_webview.connect_webview_id;
    }, 60_000);
    afterAll(async () => {
      await server?.stop();
      if (!('skip' in postgres)) await postgres.stop();
    });

    it('is live but not ready, serves reads, refuses writes with 503, and recovers when it is back', async () => {
      if ('skip' in postgres) return;
      await postgres.stop();
      const asked = Date.now();
      const ready = await fetch(`${server.url}/health/ready`);
      expect(Date.now() - asked).toBeLessThan(3000);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ ok: false, error: { type: 'event_store_unavailable' } });
      // The operator's port names the store and its error; the API's port tells anyone the reason only.
      expect(await (await fetch(server.detailedHealthUrl)).json()).toMatchObject({
        ok: false,
        error: { type: 'event_store_unavailable', message: expect.stringContaining('PostgreSQL') },
      });
      expect((await fetch(`${server.url}/health/live`)).status).toBe(200);
      expect((await server.post('/connect_webviews/get', { connect_webview_id: webviewId })).status).toBe(200);
      const refused = await server.post('/connect_webviews/create', { custom_metadata: { during: 'outage' } });
      expect(refused.status).toBe(503);
      expect(refused.body.error.type).toBe('event_store_unavailable');

      await postgres.restart();
      let status = 0;
      for (let i = 0; i < 100 && status !== 200; i++) {
        status = (await fetch(`${server.url}/health/ready`)).status;
        if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(status).toBe(200);
      // A write after the outage is answered only once the read models show it: the subscription came back.
      const after = await server.post('/connect_webviews/create', { custom_metadata: { during: 'after' } });
      expect(after.status).toBe(200);
      const listed = (await server.post('/connect_webviews/list', {})).body.connect_webviews;
      expect(listed.map((w: any) => w.custom_metadata.during ?? null).sort()).toEqual(['after', null]);
    }, 60_000);
  },
);
