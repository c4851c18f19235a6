import { InvalidCommand, type ValidationIssue } from '../common/domain-errors.js';
import { describeType, getOwn, isPlainObject, recordFromEntries } from '../common/own-record.js';

/**
 * The custom-metadata value type: every rule of Seam's `custom_metadata` lives here, and every resource
 * (Connect Webview, connected account, device) uses it.
 *
 * - input: at most 50 keys, keys at most 40 characters, values string (≤ 500) | boolean | null;
 * - output: string | boolean only, `null` on input means "remove this key";
 * - replace (webview create, connected account update, reconnection) and merge (device update) both
 *   yield a result that must still hold at most 50 keys.
 */
export type CustomMetadataValue = string | boolean;
export type CustomMetadata = Readonly<Record<string, CustomMetadataValue>>;
/** Validated input: `null` values are removals. */
export type CustomMetadataPatch = Readonly<Record<string, CustomMetadataValue | null>>;

export const MAX_KEYS = 50;
export const MAX_KEY_LENGTH = 40;
export const MAX_VALUE_LENGTH = 500;

const TOO_MANY_KEYS = `Custom metadata is limited to a maximum of ${MAX_KEYS} keys`;

export const EMPTY_CUSTOM_METADATA: CustomMetadata = Object.freeze({});

export interface CustomMetadataChanges {
  added: Record<string, CustomMetadataValue>;
  removed: Record<string, CustomMetadataValue>;
  changed: Record<string, { from: CustomMetadataValue; to: CustomMetadataValue }>;
}

/** Validates API input; refuses with InvalidCommand naming `param` (Seam's `invalid_input`: zod's messages and `format()` shape). */
export function parseCustomMetadataInput(input: unknown, param = 'custom_metadata'): CustomMetadataPatch {
  if (!isPlainObject(input)) {
    throw new InvalidCommand([{ path: [param], message: `Expected object, received ${describeType(input)}` }]);
  }
  const issues: ValidationIssue[] = [];
  for (const [key, value] of Object.entries(input)) {
    if (key.length > MAX_KEY_LENGTH) {
      issues.push({ path: [param, key], message: `String must contain at most ${MAX_KEY_LENGTH} character(s)` });
    }
    if (typeof value === 'string') {
      if (value.length > MAX_VALUE_LENGTH) {
        issues.push({ path: [param, key], message: `String must contain at most ${MAX_VALUE_LENGTH} character(s)` });
      }
    } else if (typeof value !== 'boolean' && value !== null) {
      // zod's words for a value that matches no member of the union string | boolean | null.
      const received = describeType(value);
      issues.push({
        path: [param, key],
        message: 'Invalid input',
        formatted: ['string', 'boolean', 'null'].map((type) => `Expected ${type}, received ${received}`),
      });
    }
  }
  if (Object.keys(input).length > MAX_KEYS) issues.push({ path: [param], message: TOO_MANY_KEYS });
  if (issues.length > 0) throw new InvalidCommand(issues);
  return recordFromEntries(Object.entries(input) as [string, CustomMetadataValue | null][]);
}

/** The metadata a patch yields when it replaces everything: `null` values are simply absent. */
export function replaceCustomMetadata(patch: CustomMetadataPatch, param = 'custom_metadata'): CustomMetadata {
  return checkKeyCount(
    recordFromEntries(Object.entries(patch).filter((e): e is [string, CustomMetadataValue] => e[1] !== null)),
    param,
  );
}

/** "Add or change": keys given are set, `null` removes a key, keys not given stay. */
export function mergeCustomMetadata(
  current: CustomMetadata,
  patch: CustomMetadataPatch,
  param = 'custom_metadata',
): CustomMetadata {
  const merged = new Map<string, CustomMetadataValue>(Object.entries(current));
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) merged.delete(key);
    else merged.set(key, value);
  }
  return checkKeyCount(recordFromEntries(merged), param);
}

export function diffCustomMetadata(before: CustomMetadata, after: CustomMetadata): CustomMetadataChanges {
  const changes: CustomMetadataChanges = { added: {}, removed: {}, changed: {} };
  const define = (target: object, key: string, value: unknown) =>
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  for (const [key, to] of Object.entries(after)) {
    const from = getOwn(before, key);
    if (from === undefined) define(changes.added, key, to);
    else if (from !== to) define(changes.changed, key, { from, to });
  }
  for (const [key, from] of Object.entries(before)) {
    if (!Object.hasOwn(after, key)) define(changes.removed, key, from);
  }
  return changes;
}

export function hasChanges(changes: CustomMetadataChanges): boolean {
  return (
    Object.keys(changes.added).length + Object.keys(changes.removed).length + Object.keys(changes.changed).length > 0
  );
}

/**
 * `custom_metadata_has`: every pair must be present with a strictly equal value. On a GET the query
 * string has already turned `"true"`/`"false"` into booleans (see `paramsFromQuery` in http/seam-input.ts).
 */
export function parseCustomMetadataFilter(input: unknown, param = 'custom_metadata_has'): CustomMetadata {
  if (!isPlainObject(input)) {
    throw new InvalidCommand([{ path: [param], message: `Expected object, received ${describeType(input)}` }]);
  }
  const issues: ValidationIssue[] = [];
  for (const [key, value] of Object.entries(input)) {
    if (typeof value !== 'string' && typeof value !== 'boolean') {
      issues.push({ path: [param, key], message: `Expected string or boolean, received ${describeType(value)}` });
    }
  }
  if (issues.length > 0) throw new InvalidCommand(issues);
  // A filter can name no more keys than a resource can hold: more could never match, and each costs a join.
  return checkKeyCount(recordFromEntries(Object.entries(input) as [string, CustomMetadataValue][]), param);
}

export function matchesCustomMetadataFilter(metadata: CustomMetadata, filter: CustomMetadata): boolean {
  return Object.entries(filter).every(([key, value]) => getOwn(metadata, key) === value);
}

function checkKeyCount(metadata: CustomMetadata, param: string): CustomMetadata {
  if (Object.keys(metadata).length > MAX_KEYS) throw new InvalidCommand([{ path: [param], message: TOO_MANY_KEYS }]);
  return metadata;
}
