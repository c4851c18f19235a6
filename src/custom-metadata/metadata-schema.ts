import { InvalidCommand, type ValidationIssue } from '../common/domain-errors.js';
import { describeType, getOwn, isPlainObject, recordFromEntries } from '../common/own-record.js';
import { MAX_KEYS, MAX_KEY_LENGTH, MAX_VALUE_LENGTH, type CustomMetadata } from './custom-metadata.js';
import type { MetadataResourceType } from './metadata-set.js';

/**
 * A workspace's metadata schema for one resource type (an extension): which keys exist, each one's type,
 * and whether others may. Every rule of it lives here; the deciders check a write's resulting metadata with
 * `assertMetadataSatisfiesSchema`, and the compliance report lists what `schemaViolations` finds.
 *
 * No rule runs an expression a user supplied: the formats are a fixed list, each checked by code here (this
 * file's own expressions, none with a quantifier inside another, or the WHATWG URL parser), so a value's
 * check takes time linear in its length.
 */
export const METADATA_KEY_TYPES = ['string', 'boolean', 'enum'] as const;
export const METADATA_KEY_FORMATS = ['uuid', 'email', 'url', 'integer'] as const;
export type MetadataKeyType = (typeof METADATA_KEY_TYPES)[number];
export type MetadataKeyFormat = (typeof METADATA_KEY_FORMATS)[number];

export const MAX_ENUM_VALUES = 100;
export const MAX_DESCRIPTION_LENGTH = 500;

export interface MetadataKeyRule {
  type: MetadataKeyType;
  /** `enum`: the values allowed. */
  values?: readonly string[];
  /** `string`: the shape its value must have. */
  format?: MetadataKeyFormat;
  /** `string`: at most this many characters (Seam's own bound, 500, applies to every value). */
  max_length?: number;
  /** The key must be present after every write through the API. */
  required: boolean;
  description?: string;
}

export interface CustomMetadataSchema {
  keys: Readonly<Record<string, MetadataKeyRule>>;
  /** false: a key the schema does not name is refused. */
  allow_other_keys: boolean;
}

/** Each resource type's schema in a workspace; a type without one takes any metadata, as Seam does. */
export type WorkspaceMetadataSchemas = Readonly<Partial<Record<MetadataResourceType, CustomMetadataSchema>>>;

/** The rules a value or a resource's metadata can break. */
export const SCHEMA_RULES = ['type', 'values', 'format', 'max_length', 'required', 'allow_other_keys'] as const;

/** What a resource's metadata breaks: the key, the rule, and why. */
export interface SchemaViolation {
  key: string;
  rule: (typeof SCHEMA_RULES)[number];
  message: string;
}

const RULE_FIELDS = new Set(['type', 'values', 'format', 'max_length', 'required', 'description']);

/** Validates `schemas/update`'s input; refuses with InvalidCommand naming the key and the field. */
export function parseMetadataSchema(input: { keys: unknown; allow_other_keys?: unknown }): CustomMetadataSchema {
  const issues: ValidationIssue[] = [];
  const { keys, allow_other_keys: allowOtherKeys = true } = input;
  if (typeof allowOtherKeys !== 'boolean') {
    issues.push({ path: ['allow_other_keys'], message: `Expected boolean, received ${describeType(allowOtherKeys)}` });
  }
  if (!isPlainObject(keys)) {
    issues.push({ path: ['keys'], message: `Expected object, received ${describeType(keys)}` });
    throw new InvalidCommand(issues);
  }
  const entries = Object.entries(keys);
  if (entries.length > MAX_KEYS) {
    issues.push({
      path: ['keys'],
      message: `A schema names at most ${MAX_KEYS} keys, as a resource holds at most that many`,
    });
  }
  const rules: [string, MetadataKeyRule][] = [];
  for (const [key, rule] of entries) {
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
      issues.push({ path: ['keys', key], message: `A key has 1 to ${MAX_KEY_LENGTH} characters` });
    }
    const parsed = parseRule(rule, ['keys', key], issues);
    if (parsed) rules.push([key, parsed]);
  }
  if (issues.length > 0) throw new InvalidCommand(issues);
  return { keys: recordFromEntries(rules), allow_other_keys: allowOtherKeys as boolean };
}

function parseRule(input: unknown, path: string[], issues: ValidationIssue[]): MetadataKeyRule | undefined {
  if (!isPlainObject(input)) {
    issues.push({ path, message: `Expected object, received ${describeType(input)}` });
    return undefined;
  }
  const before = issues.length;
  const unknown = Object.keys(input).filter((field) => !RULE_FIELDS.has(field));
  if (unknown.length > 0) {
    issues.push({ path, message: `Unrecognized key(s) in object: ${unknown.map((f) => `'${f}'`).join(', ')}` });
  }
  const { type, values, format, max_length: maxLength, required = false, description } = input;
  if (!METADATA_KEY_TYPES.includes(type as MetadataKeyType)) {
    issues.push({
      path: [...path, 'type'],
      message: `Expected ${METADATA_KEY_TYPES.map((t) => `'${t}'`).join(' | ')}`,
    });
  }
  if (type === 'enum') {
    const valid =
      Array.isArray(values) &&
      values.length >= 1 &&
      values.length <= MAX_ENUM_VALUES &&
      values.every((v) => typeof v === 'string' && v.length <= MAX_VALUE_LENGTH) &&
      new Set(values).size === values.length;
    if (!valid) {
      issues.push({
        path: [...path, 'values'],
        message: `An enum lists 1 to ${MAX_ENUM_VALUES} distinct strings of at most ${MAX_VALUE_LENGTH} characters`,
      });
    }
  } else if (values !== undefined) {
    issues.push({ path: [...path, 'values'], message: "values belong to a key of type 'enum'" });
  }
  if (format !== undefined && (type !== 'string' || !METADATA_KEY_FORMATS.includes(format as MetadataKeyFormat))) {
    issues.push({
      path: [...path, 'format'],
      message: `A key of type 'string' may have a format: ${METADATA_KEY_FORMATS.map((f) => `'${f}'`).join(' | ')}`,
    });
  }
  if (
    maxLength !== undefined &&
    (type !== 'string' ||
      !Number.isInteger(maxLength) ||
      (maxLength as number) < 1 ||
      (maxLength as number) > MAX_VALUE_LENGTH)
  ) {
    issues.push({
      path: [...path, 'max_length'],
      message: `A key of type 'string' may have a max_length, an integer from 1 to ${MAX_VALUE_LENGTH}`,
    });
  }
  if (typeof required !== 'boolean') {
    issues.push({ path: [...path, 'required'], message: `Expected boolean, received ${describeType(required)}` });
  }
  if (description !== undefined && (typeof description !== 'string' || description.length > MAX_DESCRIPTION_LENGTH)) {
    issues.push({
      path: [...path, 'description'],
      message: `A description is a string of at most ${MAX_DESCRIPTION_LENGTH} characters`,
    });
  }
  if (issues.length > before) return undefined;
  return {
    type: type as MetadataKeyType,
    ...(type === 'enum' ? { values: [...(values as string[])] } : {}),
    ...(format === undefined ? {} : { format: format as MetadataKeyFormat }),
    ...(maxLength === undefined ? {} : { max_length: maxLength as number }),
    required: required as boolean,
    ...(description === undefined ? {} : { description: description as string }),
  };
}

/** Everything `metadata` breaks in `schema`: each key it holds checked by its rule, then the required keys it lacks. */
export function schemaViolations(metadata: CustomMetadata, schema: CustomMetadataSchema): SchemaViolation[] {
  const violations: SchemaViolation[] = [];
  for (const [key, value] of Object.entries(metadata)) {
    const rule = getOwn(schema.keys, key);
    if (!rule) {
      if (!schema.allow_other_keys) {
        violations.push({
          key,
          rule: 'allow_other_keys',
          message: 'Not a key of the schema, which allows no other keys',
        });
      }
      continue;
    }
    const wanted = rule.type === 'boolean' ? 'boolean' : 'string';
    if (typeof value !== wanted) {
      violations.push({ key, rule: 'type', message: `Expected ${wanted}, received ${typeof value}` });
      continue;
    }
    if (typeof value !== 'string') continue;
    if (rule.values && !rule.values.includes(value)) {
      const allowed = rule.values.map((v) => `'${v}'`).join(' | ');
      violations.push({ key, rule: 'values', message: `Invalid enum value. Expected ${allowed}, received '${value}'` });
    }
    if (rule.format && !FORMAT_CHECKS[rule.format](value)) {
      violations.push({ key, rule: 'format', message: `Invalid ${rule.format}` });
    }
    if (rule.max_length !== undefined && value.length > rule.max_length) {
      violations.push({
        key,
        rule: 'max_length',
        message: `String must contain at most ${rule.max_length} character(s)`,
      });
    }
  }
  for (const [key, rule] of Object.entries(schema.keys)) {
    if (rule.required && !Object.hasOwn(metadata, key)) {
      violations.push({ key, rule: 'required', message: 'Required' });
    }
  }
  return violations;
}

/**
 * Refuses a write whose resulting metadata breaks `schema` (none: any metadata goes), naming each key at
 * `param` and the rule; `whose` says which schema when it is another resource's (a webview's metadata is
 * checked against the account schema too: the account it creates inherits it).
 */
export function assertMetadataSatisfiesSchema(
  metadata: CustomMetadata,
  schema: CustomMetadataSchema | undefined,
  { param = 'custom_metadata', whose }: { param?: string; whose?: MetadataResourceType } = {},
): void {
  if (!schema) return;
  const violations = schemaViolations(metadata, schema);
  if (violations.length === 0) return;
  const of = whose ? ` (the ${whose} schema: a ${whose.replace(/_/g, ' ')} created from it inherits it)` : '';
  throw new InvalidCommand(
    violations.map(({ key, rule, message }) => ({
      path: [param, key],
      message: `${key}: ${message} (rule: ${rule})${of}`,
    })),
  );
}

export function sameMetadataSchema(a: CustomMetadataSchema | undefined, b: CustomMetadataSchema | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

const HEX = /^[0-9a-f]$/i;
/** A domain name's label: no quantifier nests in another, so a match takes time linear in the label. */
const DOMAIN_LABEL = /^[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?$/u;
const FORMAT_CHECKS: Record<MetadataKeyFormat, (value: string) => boolean> = {
  uuid: (value) =>
    value.length === 36 && [...value].every((c, i) => ([8, 13, 18, 23].includes(i) ? c === '-' : HEX.test(c))),
  // One `@`, something before it, and a domain of two or more dot-separated labels of letters, digits
  // and inner hyphens after it; no white space.
  email: (value) => {
    const at = value.indexOf('@');
    if (at < 1 || at !== value.lastIndexOf('@') || /\s/.test(value)) return false;
    const labels = value.slice(at + 1).split('.');
    return labels.length >= 2 && labels.every((label) => DOMAIN_LABEL.test(label));
  },
  url: (value) => {
    if (!URL.canParse(value)) return false;
    const { protocol, hostname } = new URL(value);
    return (protocol === 'https:' || protocol === 'http:') && hostname.length > 0;
  },
  integer: (value) => /^-?(0|[1-9][0-9]*)$/.test(value),
};
