/**
 * Records keyed by user input. `obj[key] = v` with key `__proto__` would change the object's prototype, and
 * `obj.constructor` reads an inherited property; these helpers touch own data properties only.
 */
export function getOwn<V>(record: Readonly<Record<string, V>>, key: string): V | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

export function recordFromEntries<V>(entries: Iterable<readonly [string, V]>): Record<string, V> {
  // Object.fromEntries defines own properties (CreateDataProperty), so `__proto__` stays an ordinary key.
  return Object.fromEntries(entries) as Record<string, V>;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** zod's name for what it received: `Expected object, received array`. */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
