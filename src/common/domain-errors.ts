/** One thing wrong with an input: where (`path`) and what. */
export interface ValidationIssue {
  path: readonly string[];
  message: string;
  /** What `format()` lists at the path, when not the message itself (one entry per type of a union). */
  formatted?: readonly string[];
}

/**
 * A refusal by a rule of the domain, with a stable code. Deciders and query handlers throw these; they say
 * nothing of HTTP: `http/error-response.ts` is the one place that turns each into Seam's error envelope.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;

  constructor(
    message: string,
    /** What the caller may need to act on it (the id that was not found, say). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The resource does not exist, or not in the caller's workspace (the two are never told apart). */
export class NotFound extends DomainError {
  readonly code: string;

  constructor(resource: string, idField: string, id: unknown) {
    const label = resource.replace(/_/g, ' ');
    super(`${label.charAt(0).toUpperCase()}${label.slice(1)} not found`, { [idField]: id });
    this.code = `${resource}_not_found`;
  }
}

/** The command's input breaks a rule of the resource (a name too long, a provider the webview does not accept). */
export class InvalidCommand extends DomainError {
  readonly code = 'invalid_input';

  constructor(readonly issues: readonly ValidationIssue[]) {
    super(issues.map((issue) => issue.message).join('; '));
  }
}

/** A one-time transition asked for again: a webview completed twice, a workspace created twice. */
export class AlreadyDone extends DomainError {
  constructor(
    readonly code: 'connect_webview_already_completed' | 'workspace_already_exists',
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(message, details);
  }
}

/** Allowed only in a sandbox workspace. */
export class SandboxOnly extends DomainError {
  readonly code = 'sandbox_only';
}

/** The end user's login to the provider was refused. */
export class LoginFailed extends DomainError {
  readonly code = 'login_failed';
}

/** Too many failed logins on this webview: it refuses every login until `until`, without trying it. */
export class LoginLocked extends DomainError {
  readonly code = 'rate_limited';

  constructor(readonly until: string) {
    super('Too many failed logins on this Connect Webview: try again later', { locked_until: until });
  }
}

/** A `page_cursor` sent with other parameters than the request that issued it. */
export class MismatchedPageParameters extends DomainError {
  readonly code = 'mismatched_page_parameters';

  constructor() {
    super('The page_cursor was issued for a request with other parameters: repeat the same parameters with it');
  }
}

/** An `Idempotency-Key` sent again with another request than the one that first used it. */
export class IdempotencyKeyReused extends DomainError {
  readonly code = 'idempotency_key_reused';

  constructor() {
    super('This Idempotency-Key was used with another request: use a new key for a new request');
  }
}

/**
 * A list as of a moment, asked while the read models this build keeps the history in are still being
 * rebuilt beside the older ones that serve meanwhile (an upgrade): nothing older than them knows the past.
 */
export class HistoryNotReady extends DomainError {
  readonly code = 'catching_up';

  constructor() {
    super(
      'Lists as of a moment are served once the read models being rebuilt for this version reach the log: try again shortly',
    );
  }
}
