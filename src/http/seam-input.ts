import { applyDecorators, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { Expose, plainToInstance, Transform, type ClassConstructor } from 'class-transformer';
import {
  ArrayMaxSize,
  Equals,
  IsArray,
  IsOptional,
  IsString,
  IsUUID,
  ValidateIf,
  validateSync,
  type ValidationError,
} from 'class-validator';
import type { FastifyRequest } from 'fastify';
import { describeType, isPlainObject } from '../common/own-record.js';
import type { ValidationIssue } from '../common/domain-errors.js';
import { invalidInput } from './seam-error.js';
import { MAX_KEYS } from '../custom-metadata/custom-metadata.js';
import { SELECTOR_OPERATORS, SELECTOR_PARAMS } from '../custom-metadata/custom-metadata-selector.js';
import { BoundedLength } from './string-limits.js';

/**
 * The parameters of a Seam request, validated into `dto`. Unknown parameters are ignored, as Seam ignores them.
 * - GET and HEAD: the query string, in the SDK's format (`custom_metadata_has.tenant=t1&device_ids=a&device_ids=b`).
 * - DELETE: the query string, as SDK 2.x sends it; a JSON body instead when one is sent (SDK 1.x).
 * - POST, PATCH and PUT: the JSON body.
 */
export const SeamInput = createParamDecorator((dto: ClassConstructor<object>, ctx: ExecutionContext) => {
  return parseInput(dto, requestParams(ctx.switchToHttp().getRequest<FastifyRequest>()));
});

function requestParams(request: FastifyRequest): unknown {
  const body = request.body ?? {};
  switch (request.method) {
    case 'GET':
    case 'HEAD':
      return paramsFromQuery(request.query);
    case 'DELETE':
      return isPlainObject(body) && Object.keys(body).length === 0 ? paramsFromQuery(request.query) : body;
    default:
      return body;
  }
}

export function parseInput<T extends object>(dto: ClassConstructor<T>, raw: unknown): T {
  if (!isPlainObject(raw))
    throw invalidInput([{ path: [], message: `Expected object, received ${describeType(raw)}` }]);
  // class-transformer copies nested objects key by key and breaks on keys such as `__proto__` or
  // `constructor`, so raw parameters (user-chosen keys) and any nested object go around it and are put back
  // as own properties: every typed parameter is a scalar or a list of scalars, so the validators refuse them.
  const rawKeys = Object.keys(rawParamsOf(dto)); // its own and those of the DTOs it extends
  const bypass = (key: string, value: unknown) => rawKeys.includes(key) || !isScalarOrScalarList(value);
  const typed = Object.fromEntries(Object.entries(raw).filter(([key, value]) => !bypass(key, value)));
  const input = plainToInstance(dto, typed, { excludeExtraneousValues: true, exposeUnsetFields: false });
  for (const [key, value] of Object.entries(raw)) {
    if (bypass(key, value) && (rawKeys.includes(key) || exposedKeys(dto).has(key)))
      Object.defineProperty(input, key, { value, enumerable: true, writable: true, configurable: true });
  }
  const errors = validateSync(input, { forbidUnknownValues: false });
  if (errors.length > 0) throw invalidInput(errors.flatMap((error) => issuesOf(error, [])));
  return input;
}

// The maps keyed by DTO class below are decorator metadata, as reflect-metadata keeps it: written
// when the classes are defined (or derived from them once), then only read. Nothing a request does
// changes them, so they are not state a DI container should own.

const isScalar = (value: unknown) => value === null || typeof value !== 'object';
const isScalarOrScalarList = (value: unknown) => isScalar(value) || (Array.isArray(value) && value.every(isScalar));

/** The parameters a DTO declares (`@Expose()`): a bypassed value for any other key is dropped, as before. */
function exposedKeys(dto: ClassConstructor<object>): Set<string> {
  let keys = exposedKeyCache.get(dto);
  if (!keys) {
    keys = new Set(Object.keys(plainToInstance(dto, {}, { excludeExtraneousValues: true })));
    exposedKeyCache.set(dto, keys);
  }
  return keys;
}
const exposedKeyCache = new WeakMap<object, Set<string>>();

/** One issue per parameter, as zod gives: `Required` when it is missing, its first failed rule otherwise. */
function issuesOf(error: ValidationError, parent: string[]): ValidationIssue[] {
  const path = [...parent, error.property];
  const [first] = Object.values(error.constraints ?? {});
  const own = first === undefined ? [] : [{ path, message: error.value === undefined ? 'Required' : first }];
  return [...own, ...(error.children ?? []).flatMap((child) => issuesOf(child, path))];
}

/**
 * The SDK writes objects in dot notation and arrays as repeated keys; on GET booleans arrive as "true" and
 * "false". Only the first dot nests, so a metadata key may itself contain dots.
 */
export function paramsFromQuery(query: unknown): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  const define = (target: object, key: string, value: unknown) =>
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  for (const [name, rawValue] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    const value = Array.isArray(rawValue) ? rawValue.map(fromQueryString) : fromQueryString(rawValue);
    const dot = name.indexOf('.');
    if (dot <= 0) {
      define(params, name, value);
      continue;
    }
    const [parent, key] = [name.slice(0, dot), name.slice(dot + 1)];
    if (!isPlainObject(params[parent]) || !Object.hasOwn(params, parent)) define(params, parent, {});
    define(params[parent] as object, key, value);
  }
  for (const name of SELECTOR_PARAMS) {
    if (isPlainObject(params[name]) && Object.hasOwn(params, name))
      define(params, name, selectorFromQuery(params[name]));
  }
  return params;
}

/**
 * A selector's operators arrive as the last part of the name (`custom_metadata_match.tenant.in=t1`), and an
 * `in` of one value as a plain string, of none as an empty one. A key that itself ends in `.in`, `.not_in`
 * or `.exists` is therefore read as an operator on a GET: POST such a selector as JSON instead.
 */
function selectorFromQuery(flat: Record<string, unknown>): Record<string, unknown> {
  const selector: Record<string, unknown> = {};
  const define = (target: object, key: string, value: unknown) =>
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  for (const [name, value] of Object.entries(flat)) {
    const dot = name.lastIndexOf('.');
    const operator = name.slice(dot + 1);
    if (dot <= 0 || !(SELECTOR_OPERATORS as readonly string[]).includes(operator)) {
      define(selector, name, value);
      continue;
    }
    const key = name.slice(0, dot);
    const operand = operator === 'exists' || Array.isArray(value) ? value : value === '' ? [] : [value];
    if (!isPlainObject(selector[key]) || !Object.hasOwn(selector, key)) define(selector, key, {});
    define(selector[key] as object, operator, operand);
  }
  return selector;
}

function fromQueryString(value: unknown): unknown {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return value;
}

/**
 * A parameter of Seam's that this service does not serve (user identities, spaces, …): refused with 400
 * naming it, never silently ignored.
 */
export const Unsupported = () =>
  applyDecorators(Expose(), Equals(undefined, { message: 'Not supported by this service' }));

/**
 * The id or key of a kind of resource this service never has (a space, a user identity, an access code): a
 * filter on it matches nothing, as it would at Seam, so the list is empty. Checked like any id or key.
 */
export const ForeignIdParam = () => applyDecorators(Expose(), IsOptional(), IsUUID('all'));
export const ForeignIdsParam = () => applyDecorators(ListParam(), IsUUID('all', { each: true }));
export const ForeignKeyParam = () => applyDecorators(Expose(), IsOptional(), IsString(), BoundedLength('identifier'));

/** Seam's `search`: optional, and a string when given (null is refused, as Seam's `z.string().optional()` does). */
export const SearchParam = () =>
  applyDecorators(
    Expose(),
    ValidateIf((_, value) => value !== undefined),
    IsString(),
    BoundedLength('search'),
  );

/** What a raw parameter holds: custom metadata to set, or key:value pairs to filter by. */
export type RawParamKind =
  'custom_metadata' | 'custom_metadata_filter' | 'custom_metadata_selector' | 'custom_metadata_schema_keys';

/** Passed through untouched (no class-transformer copy): validated by the custom-metadata value type. */
export const RawParam = (kind: RawParamKind) => (target: object, key: string) => {
  rawParamKinds.set(target.constructor, { ...rawParamKinds.get(target.constructor), [key]: kind });
};

/** A DTO's raw parameters and what each holds (for the OpenAPI document). */
export function rawParamsOf(dto: object): Record<string, RawParamKind> {
  const own = rawParamKinds.get(dto) ?? {};
  const parent = Object.getPrototypeOf(dto) as object | null;
  return parent && parent !== Function.prototype ? { ...rawParamsOf(parent), ...own } : own;
}
const rawParamKinds = new WeakMap<object, Record<string, RawParamKind>>();

/** A query string sends one value of an array parameter as a plain string, and an empty array as `name=`. */
/** What a list filter may name at most (ids, types): as many as a resource's custom-metadata keys. */
export const MAX_LIST_FILTER_VALUES = MAX_KEYS;

export const ToArray = () =>
  Transform(({ value }) => (value === '' ? [] : typeof value === 'string' ? [value] : value));

/** An optional list parameter (one value or several on GET), at most `MAX_LIST_FILTER_VALUES` long. */
export const ListParam = () =>
  applyDecorators(Expose(), ToArray(), IsOptional(), IsArray(), ArrayMaxSize(MAX_LIST_FILTER_VALUES));

/** GET sends numbers as strings. */
export const ToInteger = () =>
  Transform(({ value }) => (typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value));

/** The inverse of `paramsFromQuery`: how `next_page_url` carries a list's parameters as a GET. */
export function toQueryString(params: Record<string, unknown>): string {
  const search = new URLSearchParams();
  const add = (name: string, value: unknown) => {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) value.forEach((item) => add(name, item));
    else if (isPlainObject(value)) Object.entries(value).forEach(([key, item]) => add(`${name}.${key}`, item));
    else search.append(name, String(value));
  };
  Object.entries(params).forEach(([name, value]) => add(name, value));
  return search.toString();
}

/** `as_of`, already checked as ISO 8601 by its DTO. */
export function asOfDate(asOf: string | undefined): Date | undefined {
  return asOf === undefined ? undefined : new Date(asOf);
}
