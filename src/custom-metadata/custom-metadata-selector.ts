import { InvalidCommand, type ValidationIssue } from '../common/domain-errors.js';
import { describeType, getOwn, isPlainObject, recordFromEntries } from '../common/own-record.js';
import { MAX_KEYS, type CustomMetadata, type CustomMetadataValue } from './custom-metadata.js';

/**
 * `custom_metadata_match`, an extension: a set-based selector over custom metadata, as Kubernetes label
 * selectors are. Each key takes a value (equality), `{in: [...]}`, `{not_in: [...]}` or `{exists: boolean}`;
 * keys are ANDed, and the whole ANDs with `custom_metadata_has`. As in Kubernetes, `not_in` also matches a
 * resource that lacks the key. Every rule of the selector lives here: its parsing, its meaning
 * (`metadataTerms`, `matchesMetadataTerms`), and its wire form.
 */
export type KeySelector =
  CustomMetadataValue | { in: CustomMetadataValue[] } | { not_in: CustomMetadataValue[] } | { exists: boolean };
export type CustomMetadataMatch = Readonly<Record<string, KeySelector>>;

/** The parameters that take a selector (what `paramsFromQuery` reads operators for on a GET). */
export const SELECTOR_PARAMS = ['custom_metadata_match', 'connected_account_custom_metadata_match'] as const;
export const SELECTOR_OPERATORS = ['in', 'not_in', 'exists'] as const;
/** At most this many values in one `in` or `not_in`. */
export const MAX_SELECTOR_VALUES = 100;

/**
 * One condition on one key: the resource has the key with one of `values` (with any value when null), or,
 * `negated`, it does not. Every selector form is one: a value is `values: [v]`, `in` is `values`,
 * `not_in` is `values` negated, `exists: true` is `values: null`, `exists: false` is that negated.
 */
export interface MetadataTerm {
  key: string;
  values: readonly CustomMetadataValue[] | null;
  negated: boolean;
}

/** Validates a selector; refuses with InvalidCommand naming the key and what is wrong with it. */
export function parseCustomMetadataMatch(input: unknown, param: string = SELECTOR_PARAMS[0]): CustomMetadataMatch {
  if (!isPlainObject(input))
    throw new InvalidCommand([{ path: [param], message: `Expected object, received ${describeType(input)}` }]);
  const issues: ValidationIssue[] = [];
  const entries = Object.entries(input);
  if (entries.length > MAX_KEYS)
    issues.push({ path: [param], message: `A selector is limited to a maximum of ${MAX_KEYS} keys` });
  for (const [key, selector] of entries) issues.push(...keySelectorIssues(selector, [param, key]));
  if (issues.length > 0) throw new InvalidCommand(issues);
  return recordFromEntries(entries as [string, KeySelector][]);
}

function keySelectorIssues(selector: unknown, path: string[]): ValidationIssue[] {
  if (typeof selector === 'string' || typeof selector === 'boolean') return [];
  if (!isPlainObject(selector))
    return [
      {
        path,
        message: `Expected a string, a boolean or an operator (in, not_in, exists), received ${describeType(selector)}`,
      },
    ];
  const operators = Object.keys(selector);
  const unknown = operators.find((name) => !(SELECTOR_OPERATORS as readonly string[]).includes(name));
  if (unknown !== undefined) return [{ path, message: `Unknown operator "${unknown}": expected in, not_in or exists` }];
  if (operators.length !== 1) return [{ path, message: 'Expected exactly one operator: in, not_in or exists' }];
  const [operator] = operators;
  const operand = selector[operator];
  const at = [...path, operator];
  if (operator === 'exists')
    return typeof operand === 'boolean'
      ? []
      : [{ path: at, message: `Expected boolean, received ${describeType(operand)}` }];
  if (!Array.isArray(operand)) return [{ path: at, message: `Expected array, received ${describeType(operand)}` }];
  if (operand.length === 0) return [{ path: at, message: 'Expected at least one value' }];
  if (operand.length > MAX_SELECTOR_VALUES) return [{ path: at, message: `At most ${MAX_SELECTOR_VALUES} values` }];
  return operand.flatMap((value: unknown, index) =>
    typeof value === 'string' || typeof value === 'boolean'
      ? []
      : [{ path: [...at, String(index)], message: `Expected string or boolean, received ${describeType(value)}` }],
  );
}

/** `custom_metadata_has` and `custom_metadata_match` together, as the terms that must all hold. */
export function metadataTerms(has: CustomMetadata | undefined, match: CustomMetadataMatch | undefined): MetadataTerm[] {
  const terms: MetadataTerm[] = Object.entries(has ?? {}).map(([key, value]) => ({
    key,
    values: [value],
    negated: false,
  }));
  for (const [key, selector] of Object.entries(match ?? {})) terms.push(termOf(key, selector));
  return terms;
}

function termOf(key: string, selector: KeySelector): MetadataTerm {
  if (typeof selector !== 'object') return { key, values: [selector], negated: false };
  if ('in' in selector) return { key, values: distinct(selector.in), negated: false };
  if ('not_in' in selector) return { key, values: distinct(selector.not_in), negated: true };
  return { key, values: null, negated: !selector.exists };
}

const distinct = (values: readonly CustomMetadataValue[]) => [...new Set(values)];

export function matchesMetadataTerms(metadata: CustomMetadata, terms: readonly MetadataTerm[]): boolean {
  return terms.every((term) => {
    const value = getOwn(metadata, term.key);
    const holds = value !== undefined && (term.values === null || term.values.includes(value));
    return holds !== term.negated;
  });
}

/**
 * What an event subscription (a webhook, `/events/stream`, `events/list`) selects by: the snapshot of the
 * event's own resource's metadata, and of its account's, as they were at the event.
 */
export interface EventMetadataSelector {
  custom_metadata_match?: CustomMetadataMatch;
  connected_account_custom_metadata_match?: CustomMetadataMatch;
}
