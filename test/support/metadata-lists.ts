import { expect } from '@jest/globals';
import fc from 'fast-check';
import type { ServerProcess } from './server-process.js';

export type Value = string | boolean;
export type Selector = Record<string, Value | { in: Value[] } | { not_in: Value[] } | { exists: boolean }>;
export type Metadata = Record<string, Value>;

/** What `custom_metadata_match` means, written out here apart from the service's own code. */
export function selects(metadata: Metadata, selector: Selector): boolean {
  return Object.entries(selector).every(([key, rule]) => {
    const has = Object.hasOwn(metadata, key);
    const value = metadata[key];
    if (typeof rule !== 'object') return has && value === rule;
    if ('in' in rule) return has && rule.in.includes(value);
    if ('not_in' in rule) return !has || !rule.not_in.includes(value);
    return rule.exists === has;
  });
}

/** The three lists that take metadata filters, and what each calls its items and their ids. */
export const LISTS = [
  { path: '/devices/list', items: 'devices', id: 'device_id' },
  { path: '/connected_accounts/list', items: 'connected_accounts', id: 'connected_account_id' },
  { path: '/connect_webviews/list', items: 'connect_webviews', id: 'connect_webview_id' },
] as const;
export type List = (typeof LISTS)[number];

export interface Listed {
  id: string;
  custom_metadata: Metadata;
}

/** POSTs to the server with its sandbox key, and a list's items (up to 1,000) as ids and metadata. */
export function metadataLists(server: ServerProcess) {
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.sandboxApiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
  };
  const listed = async (list: List, params: Record<string, unknown>): Promise<Listed[]> => {
    const { status, body } = await post(list.path, { limit: 1000, ...params });
    expect({ status, error: body.error }).toEqual({ status: 200, error: undefined });
    return (body[list.items] as any[]).map((item) => ({ id: item[list.id], custom_metadata: item.custom_metadata }));
  };
  return { post, listed };
}

/** Random selectors over `keys` and `values`: each key a value, an `in`, a `not_in` or an `exists`. */
export function randomSelectors(
  keys: readonly string[],
  values: readonly Value[],
  { minKeys, maxKeys, maxValues }: { minKeys: number; maxKeys: number; maxValues: number },
): fc.Arbitrary<Selector> {
  const some = fc.uniqueArray(fc.constantFrom(...values), { minLength: 1, maxLength: maxValues });
  const rule = fc.oneof(
    fc.constantFrom(...values),
    fc.record({ in: some }),
    fc.record({ not_in: some }),
    fc.record({ exists: fc.boolean() }),
  );
  return fc.dictionary(fc.constantFrom(...keys), rule, { minKeys, maxKeys }) as fc.Arbitrary<Selector>;
}
