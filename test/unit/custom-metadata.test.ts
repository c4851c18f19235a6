import { describe, expect, it } from '@jest/globals';
import { DomainError } from '../../src/common/domain-errors.js';
import { toSeamError } from '../../src/http/error-response.js';
import type { SeamError } from '../../src/http/seam-error.js';
import {
  diffCustomMetadata,
  matchesCustomMetadataFilter,
  mergeCustomMetadata,
  parseCustomMetadataFilter,
  parseCustomMetadataInput,
  replaceCustomMetadata,
} from '../../src/custom-metadata/custom-metadata.js';

function refusal(run: () => unknown): SeamError {
  try {
    run();
  } catch (error) {
    // The domain refuses with a code; the wire shape is what http/ maps it to.
    if (error instanceof DomainError) return toSeamError(error);
    throw error;
  }
  throw new Error('expected a refusal');
}

const keys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));

describe('custom metadata input', () => {
  it('accepts strings, booleans and null at the limits', () => {
    const input = { ...keys(49), ['x'.repeat(40)]: 'y'.repeat(500) };
    expect(parseCustomMetadataInput(input)).toEqual(input);
    expect(parseCustomMetadataInput({ a: true, b: null })).toEqual({ a: true, b: null });
  });

  it('refuses 51 keys as Seam does', () => {
    const error = refusal(() => parseCustomMetadataInput(keys(51)));
    expect(error.status).toBe(400);
    expect(error.type).toBe('invalid_input');
    expect(error.message).toBe('Custom metadata is limited to a maximum of 50 keys for "custom_metadata"');
    expect(error.validationErrors).toEqual({
      _errors: [],
      custom_metadata: { _errors: ['Custom metadata is limited to a maximum of 50 keys'] },
    });
  });

  it('refuses a 41-character key and a 501-character value with the path of the key', () => {
    const longKey = 'k'.repeat(41);
    expect(refusal(() => parseCustomMetadataInput({ [longKey]: 'v' })).message).toBe(
      `String must contain at most 40 character(s) for "custom_metadata.${longKey}"`,
    );
    const error = refusal(() => parseCustomMetadataInput({ k: 'v'.repeat(501) }));
    expect(error.message).toBe('String must contain at most 500 character(s) for "custom_metadata.k"');
    expect(error.validationErrors).toEqual({
      _errors: [],
      custom_metadata: { _errors: [], k: { _errors: ['String must contain at most 500 character(s)'] } },
    });
  });

  it.each([[1], [[1]], [{ nested: 'object' }]])('refuses the value %j', (value) => {
    expect(refusal(() => parseCustomMetadataInput({ k: value })).message).toMatch(/for "custom_metadata\.k"$/);
  });

  it.each([['a string'], [[]], [null], [3]])('refuses %j as the whole metadata', (value) => {
    expect(refusal(() => parseCustomMetadataInput(value)).message).toMatch(
      /^Expected object, received .* for "custom_metadata"$/,
    );
  });

  it('keeps __proto__, constructor and hasOwnProperty as ordinary keys', () => {
    const input = JSON.parse('{"__proto__": "p", "constructor": true, "hasOwnProperty": "h"}');
    const parsed = parseCustomMetadataInput(input);
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.keys(parsed)).toEqual(['__proto__', 'constructor', 'hasOwnProperty']);
    expect(JSON.parse(JSON.stringify(replaceCustomMetadata(parsed)))).toEqual(input);
    const merged = mergeCustomMetadata(replaceCustomMetadata(parsed), JSON.parse('{"__proto__": null}'));
    expect(Object.keys(merged)).toEqual(['constructor', 'hasOwnProperty']);
    expect(({} as Record<string, unknown>).p).toBeUndefined();
  });
});

describe('custom metadata rules', () => {
  it('replace drops null values', () => {
    expect(replaceCustomMetadata({ a: 'x', b: null })).toEqual({ a: 'x' });
  });

  it('merge sets given keys, removes null keys, keeps the others', () => {
    expect(
      mergeCustomMetadata({ keep: 'k', change: 'old', drop: true }, { change: 'new', drop: null, add: false }),
    ).toEqual({
      keep: 'k',
      change: 'new',
      add: false,
    });
  });

  it('holds the 50-key limit on the merged result', () => {
    expect(refusal(() => mergeCustomMetadata(keys(50), { one_more: 'v' })).type).toBe('invalid_input');
    expect(Object.keys(mergeCustomMetadata(keys(50), { k0: null, one_more: 'v' }))).toHaveLength(50);
  });

  it('diffs into added, removed and changed', () => {
    expect(diffCustomMetadata({ same: 'x', gone: 'g', from: 'a' }, { same: 'x', from: 'b', added: true })).toEqual({
      added: { added: true },
      removed: { gone: 'g' },
      changed: { from: { from: 'a', to: 'b' } },
    });
  });

  it('filters on every pair with strict equality', () => {
    const metadata = { tenant: 't1', vip: true, constructor: 'c' };
    expect(matchesCustomMetadataFilter(metadata, { tenant: 't1', vip: true })).toBe(true);
    expect(matchesCustomMetadataFilter(metadata, { vip: 'true' })).toBe(false);
    expect(matchesCustomMetadataFilter({}, { constructor: 'c' })).toBe(false);
    expect(refusal(() => parseCustomMetadataFilter({ n: 1 }, 'custom_metadata_has')).message).toMatch(
      /custom_metadata_has\.n/,
    );
  });
});
