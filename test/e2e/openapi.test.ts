import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { validate } from '@readme/openapi-parser';
import { ServerProcess } from '../support/server-process.js';

const root = join(import.meta.dirname, '../..');
const committed = JSON.parse(readFileSync(join(root, 'openapi.json'), 'utf8')) as {
  openapi: string;
  paths: Record<string, Record<string, { security?: unknown[]; 'x-extension'?: boolean }>>;
};

describe('the OpenAPI document', () => {
  const server = new ServerProcess();
  beforeAll(() => server.start());
  afterAll(() => server.stop());

  it('is current: openapi.json is what the controllers and DTOs generate now (npm run openapi)', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [join(root, 'dist/openapi-document.js')], {
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(JSON.parse(stdout)).toEqual(committed);
  });

  it('is valid OpenAPI 3.1', async () => {
    expect(committed.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(committed) as never);
    expect(result.valid ? [] : result.errors).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('describes exactly the routes the running app has, and is served at /openapi.json', async () => {
    // The route table as Nest registered it in this process (its "Mapped {/path, METHOD} route" lines).
    const mapped = new Set([...server.output.matchAll(/Mapped \{([^,]+), \w+\} route/g)].map((m) => m[1]));
    expect(mapped.size).toBeGreaterThan(25);
    expect(new Set(Object.keys(committed.paths))).toEqual(mapped);
    const served = await fetch(`${server.url}/openapi.json`);
    expect(served.status).toBe(200);
    expect(await served.json()).toEqual(committed);
  });

  it("lists each route's methods as the app takes them, and its key requirement", async () => {
    for (const [path, operations] of Object.entries(committed.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const answer = await fetch(`${server.url}${path}`, {
          method: method.toUpperCase(),
          headers: operation.security?.length ? {} : server.auth(),
        });
        // Every documented method reaches the route: without a key, a keyed route answers 401 (not 404/405).
        expect([path, method, answer.status === 404 || answer.status === 405]).toEqual([path, method, false]);
        if (operation.security?.length) expect([path, method, answer.status]).toEqual([path, method, 401]);
        await answer.body?.cancel();
      }
      if (
        !operations.put &&
        !path.startsWith('/health') &&
        path !== '/openapi.json' &&
        path !== '/connect_webviews/view'
      ) {
        const undocumented = await fetch(`${server.url}${path}`, { method: 'PUT', headers: server.auth() });
        expect([path, undocumented.status]).toEqual([path, 405]);
      }
    }
  });
});
