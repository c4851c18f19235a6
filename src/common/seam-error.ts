/**
 * Every refusal the API can answer, in Seam's error envelope:
 * `{"error": {"type", "message", "data"?, "validation_errors"?}, "ok": false}`.
 * Domain code throws these; the HTTP error filter turns them into responses.
 */
export class SeamError extends Error {
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

export interface ValidationIssue {
  path: readonly string[];
  message: string;
}

/** 400 `invalid_input`, worded as Seam words it: `<first issue> for "<path>"`. */
export function invalidInput(issues: readonly ValidationIssue[]): SeamError {
  const [first] = issues;
  const where = first.path.length > 0 ? ` for "${first.path.join('.')}"` : '';
  return new SeamError(400, 'invalid_input', `${first.message}${where}`, undefined, formatIssues(issues));
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
    node._errors.push(issue.message);
  }
  return root;
}
