import type { ValidationIssue } from '../common/domain-errors.js';

/**
 * Every refusal the API can answer, in Seam's error envelope:
 * `{"error": {"type", "message", "data"?, "validation_errors"?}, "ok": false}`.
 * Only http/ builds these (a lint rule keeps it so): the domain throws DomainError, with a code and no
 * status, and `error-response.ts` maps each to one of these.
 */
export class SeamError extends Error {
  /** HTTP headers the answer carries besides the envelope (`Retry-After` on a 429). */
  headers: Readonly<Record<string, string>> = {};

  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly data?: Record<string, unknown>,
    readonly validationErrors?: ValidationErrors,
  ) {
    super(message);
    this.name = 'SeamError';
  }
}

/** zod's `error.format()` shape: nested by path, each level with `_errors`. */
export interface ValidationErrors {
  _errors: string[];
  [key: string]: ValidationErrors | string[];
}

/**
 * 400 `invalid_input`, worded as Seam words it: `<issue> for "<path>"`, and for several issues
 * `<n> Input Errors: <issue> for "<path>", <issue> for "<path>"`.
 */
export function invalidInput(issues: readonly ValidationIssue[]): SeamError {
  const described = issues.map(
    (issue) => `${issue.message}${issue.path.length > 0 ? ` for "${issue.path.join('.')}"` : ''}`,
  );
  const message = described.length === 1 ? described[0] : `${described.length} Input Errors: ${described.join(', ')}`;
  return new SeamError(400, 'invalid_input', message, undefined, formatIssues(issues));
}

/**
 * Builds zod's `format()` tree. Keys come from user input (metadata keys such as `__proto__`), so every
 * level is written with defineProperty: an own data property, never a prototype change.
 */
export function formatIssues(issues: readonly ValidationIssue[]): ValidationErrors {
  const root: ValidationErrors = { _errors: [] };
  for (const issue of issues) {
    let node = root;
    for (const key of issue.path) {
      if (!Object.hasOwn(node, key)) {
        Object.defineProperty(node, key, {
          value: { _errors: [] },
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      node = node[key] as ValidationErrors;
    }
    node._errors.push(...(issue.formatted ?? [issue.message]));
  }
  return root;
}
