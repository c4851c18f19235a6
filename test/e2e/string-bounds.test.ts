import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteEventStore } from '../../src/event-store/sqlite-event-store.js';
import { ServerProcess } from '../support/server-process.js';

// Every string parameter of every route, read from the OpenAPI document (which the DTOs generate, and
// openapi.test.ts holds current), sent one character over its bound: each answer is 400 naming it, and the
// log is unchanged. A string parameter with no bound fails the test.
const root = join(import.meta.dirname, '../..');
type Schema = {
  type?: string;
  format?: string;
  enum?: unknown[];
  maxLength?: number;
  items?: Schema;
  anyOf?: Schema[];
  $ref?: string;
  properties?: Record<string, Schema>;
};
type Operation = {
  parameters?: { name: string; in: string; schema: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
};
const document = JSON.parse(readFileSync(join(root, 'openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
};
const resolve = (schema: Schema): Schema =>
  schema.$ref ? document.components.schemas[schema.$ref.split('/').at(-1)!] : schema;

/** A string parameter whose length only its bound limits (not an id, a time with a pattern, or a choice). */
function freeText(schema: Schema): boolean {
  return schema.type === 'string' && schema.enum === undefined && schema.format !== 'uuid';
}

interface Case {
  path: string;
  method: string;
  name: string;
  list: boolean;
  maxLength: number | undefined;
  format: string | undefined;
}

function cases(): Case[] {
  const found: Case[] = [];
  for (const [path, operations] of Object.entries(document.paths)) {
    // One way in per route: POST where it is taken, the query string otherwise.
    const method = operations.post ? 'post' : operations.get ? 'get' : Object.keys(operations)[0];
    const operation = operations[method];
    const params: [string, Schema][] = operation.requestBody
      ? Object.entries(resolve(Object.values(operation.requestBody.content)[0].schema).properties ?? {})
      : (operation.parameters ?? []).map((p) => [p.name, p.schema]);
    for (const [name, raw] of params) {
      const schema = resolve(raw);
      const list = schema.type === 'array' && schema.items !== undefined;
      const item = list ? schema.items! : schema;
      if (!freeText(item)) continue;
      found.push({ path, method, name, list, maxLength: item.maxLength, format: item.format });
    }
  }
  return found;
}

/** A value one character over the bound, otherwise of the right shape (a URL, an email). */
function overLong({ maxLength, format }: Case): string {
  const n = maxLength! + 1;
  if (format === 'url') return `https://example.com/${'x'.repeat(n)}`.slice(0, n);
  if (format === 'email' || /email/.test(format ?? '')) return `${'x'.repeat(n - 12)}@example.com`;
  return 'x'.repeat(n);
}

describe('every string parameter is bounded', () => {
  const server = new ServerProcess(undefined, { RATE_LIMIT_PER_KEY: '0', RATE_LIMIT_PER_ADDRESS: '0' });
  beforeAll(() => server.start());
  afterAll(() => server.stop());

  it('has a documented maximum on every free-text string of every route', () => {
    const all = cases();
    expect(all.length).toBeGreaterThan(20);
    expect(all.filter((c) => c.maxLength === undefined).map((c) => `${c.path} ${c.name}`)).toEqual([]);
    // The bounds the README states.
    const bound = (path: string, name: string) => all.find((c) => c.path === path && c.name === name)?.maxLength;
    expect(bound('/connect_webviews/create', 'customer_key')).toBe(200);
    expect(bound('/devices/update', 'name')).toBe(200);
    expect(bound('/webhooks/create', 'url')).toBe(2000);
  });

  it('answers 400 naming the parameter for each one over its maximum, and stores nothing', async () => {
    const head = async () => {
      const store = new SqliteEventStore(join(server.dataDir, 'events.db'));
      try {
        return await store.headPosition();
      } finally {
        await store.close();
      }
    };
    const before = await head();
    const refused: string[] = [];
    for (const c of cases()) {
      const value = overLong(c);
      const params = { [c.name]: c.list ? [value] : value };
      const response =
        c.method === 'post'
          ? await fetch(`${server.url}${c.path}`, {
              method: 'POST',
              headers: { ...server.auth(), 'content-type': 'application/json' },
              body: JSON.stringify(params),
            })
          : await fetch(`${server.url}${c.path}?${new URLSearchParams({ [c.name]: value })}`, {
              method: c.method.toUpperCase(),
              headers: server.auth(),
            });
      const text = await response.text();
      // JSON names it `for "name"`; the hosted page's HTML, `for &quot;name&quot;`.
      const message = text.startsWith('{')
        ? (JSON.parse(text) as { error?: { message?: string } }).error?.message
        : text;
      const named = [`for "${c.name}"`, `for &quot;${c.name}&quot;`].some((m) => message?.includes(m));
      if (response.status !== 400 || !named)
        refused.push(`${c.method} ${c.path} ${c.name}: ${response.status} ${text.slice(0, 200)}`);
    }
    expect(refused).toEqual([]);
    expect(await head()).toBe(before);
  }, 60_000);

  // `search: null` once reached the list query as null and answered 500: null for each JSON parameter of
  // every route is answered, never with a 5xx.
  it('answers null for any parameter of any route without a 5xx', async () => {
    const failed: string[] = [];
    for (const [path, operations] of Object.entries(document.paths)) {
      const body = operations.post?.requestBody?.content['application/json']?.schema;
      if (!body) continue;
      for (const name of Object.keys(resolve(body).properties ?? {})) {
        const response = await fetch(`${server.url}${path}`, {
          method: 'POST',
          headers: { ...server.auth(), 'content-type': 'application/json' },
          body: JSON.stringify({ [name]: null }),
        });
        if (response.status >= 500) failed.push(`${path} ${name}: ${response.status} ${await response.text()}`);
      }
    }
    expect(failed).toEqual([]);
  }, 60_000);
});
