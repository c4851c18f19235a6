import type { z } from 'zod';

/** Parses values with `@seamapi/types`' zod schemas as a test goes, collecting every failure to assert at its end. */
export function schemaCheck() {
  const check = {
    failures: [] as string[],
    checked: 0,
    conforms<T>(what: string, schema: z.ZodTypeAny, value: T): T {
      check.checked += 1;
      const result = schema.safeParse(value);
      if (!result.success)
        check.failures.push(
          `${what}: ${JSON.stringify(result.error.issues.map((i) => [i.path.join('.'), i.message]))}`,
        );
      return value;
    },
  };
  return check;
}
