import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export interface LogConfig {
  level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** JSON lines (for a log pipeline), or colourised lines for a terminal. */
  format: 'json' | 'pretty';
}

/**
 * Where secrets could appear in a log record, and what replaces them: configured here once, for every line
 * the service writes (Fastify's and Nest's). test/e2e/log-redaction.test.ts checks each, and every e2e
 * server's output is checked for the secrets its test used (test/support/server-process.ts).
 */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.authorization',
  '*.api_key',
  '*.secret',
  '*.previous_secret',
  '*.password',
  '*.auth_token',
  '*.token',
];
const CENSOR = '[redacted]';

/** Query parameters that carry a secret: the hosted page's `auth_token` link. */
const SECRET_QUERY_PARAMETERS = /([?&](?:auth_token|token|api_key|password)=)[^&#]*/gi;

/** A URL's password (`postgres://user:password@host`). */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):[^@/\s]*@/gi;

/** A URL with its password hidden: for configuration messages and store descriptions. */
export function hideUrlPassword(url: string): string {
  return url.replace(URL_PASSWORD, '$1:***@');
}

/** A URL with its password and its secret query parameters hidden. */
export function redactUrl(url: string): string {
  return hideUrlPassword(url).replace(SECRET_QUERY_PARAMETERS, `$1${CENSOR}`);
}

/**
 * Bearer tokens, API keys and webhook secrets in free text (an error message that quotes a header, say). A
 * key's secret is base64url (`-` and `_` included) and a webhook secret base64, so each runs to the end of
 * those alphabets together: a `-` anywhere in a key must not end the match and leave its suffix in clear.
 */
const SECRET_WORDS = /\b(Bearer\s+)\S+|\bseam_[A-Za-z0-9_-]+|\bwhsec_[A-Za-z0-9+/=_-]+/g;

export function redactText(text: string): string {
  return redactUrl(text).replace(SECRET_WORDS, (_, bearer: string | undefined) => (bearer ?? '') + CENSOR);
}

/** The service's logger: to standard output, or to `destination` (tests). */
export function createLogger(config: LogConfig, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level: config.level,
    base: { service: 'custom-metadata-service' },
    redact: { paths: REDACTED_PATHS, censor: CENSOR },
    // Fastify logs a request only with an error: its method and route, never its query string or headers.
    serializers: {
      req: (req: { method?: string; url?: string; routeOptions?: { url?: string } }) => ({
        method: req.method,
        url: req.url === undefined ? undefined : redactUrl(req.url),
      }),
      err: (err: Error) => ({ type: err.name, message: redactText(err.message), stack: redactText(err.stack ?? '') }),
    },
    hooks: {
      // Messages are free text: the last line of defence for a secret quoted in one.
      logMethod(args, method) {
        const redacted = args.map((arg) => (typeof arg === 'string' ? redactText(arg) : arg)) as typeof args;
        method.apply(this, redacted);
      },
    },
    ...(config.format === 'pretty' && !destination
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } } // colour on a terminal
      : {}),
  };
  return destination ? pino(options, destination) : pino(options);
}
