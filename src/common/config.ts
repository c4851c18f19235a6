import { resolve } from 'node:path';
import { z } from 'zod/v4';
import { hideUrlPassword, type LogConfig } from './logging.js';

export interface AppConfig {
  port: number;
  host: string;
  dataDir: string;
  /**
   * Base of the URLs this service hands out (`connect_webview.url`, `next_page_url`). Without PUBLIC_URL it
   * is the address the server listens on, set once listening (PORT=0 picks a free port).
   */
  publicUrl: string;
  publicUrlConfigured: boolean;
  sqliteSynchronous: 'FULL' | 'NORMAL';
  /** Where the log lives: the embedded SQLite file in DATA_DIR, a PostgreSQL database, or an EventStoreDB cluster. */
  eventStore:
    | { kind: 'sqlite' }
    | { kind: 'postgres'; connectionString: string; deadlineMs: number; maxConnections: number }
    | { kind: 'eventstoredb'; connectionString: string; deadlineMs: number };
  /** How long a write waits for its effect to be readable before answering 503. */
  readYourWritesTimeoutMs: number;
  /** Bounds on every connection, so that no caller can hold the server's sockets or memory. */
  http: {
    /** Whole request (headers and body) must arrive within this; slower ones get 408 and are closed. */
    requestTimeoutMs: number;
    /** A connection with no traffic either way for this long is closed (SSE sends a heartbeat every 15 s). */
    idleTimeoutMs: number;
    keepAliveTimeoutMs: number;
    /** Connections beyond this are closed at once, before any byte is read. */
    maxConnections: number;
    /** Open event streams (SSE) per API key; the next one gets 429. */
    maxEventStreamsPerKey: number;
    /** Requests per second per API key on average (bursts of twice as many); 0 turns the limit off. */
    requestsPerSecondPerKey: number;
    /** On SIGTERM/SIGINT, how long in-flight requests may take before the process exits anyway. */
    shutdownGraceMs: number;
    /** Before that, how long it keeps serving with readiness at 503, for load balancers to move away. */
    shutdownDrainMs: number;
    /** Requests per second per client address on the public routes (hosted page, /openapi.json); 0: off. */
    publicRequestsPerSecondPerAddress: number;
  };
  log: LogConfig;
  /** Prometheus metrics on a port of their own (null: not served), on loopback unless told otherwise. */
  metrics: { port: number | null; host: string };
  webhooks: {
    /** Whether this instance delivers webhooks: exactly one instance of a scaled-out deployment should. */
    deliver: boolean;
    /** Deliver to loopback and private addresses (tests, local development); refused by default. */
    allowPrivateTargets: boolean;
    /** The delay before each retry of a failed delivery (Seam's schedule by default). */
    retryDelaysMs: readonly number[];
    /** How long one delivery may take before it counts as failed. */
    timeoutMs: number;
    /** On PostgreSQL: how often a standby tries for the delivery lease, and the holder checks it still has it. */
    leaseCheckMs: number;
    /** The ports a webhook URL may name (`any`: every one); others are refused, so a webhook is no port scanner. */
    allowedPorts: number[] | 'any';
    /** How long resolving a webhook's host may take. */
    dnsTimeoutMs: number;
    /** Webhooks one workspace may have. */
    maxPerWorkspace: number;
    /** Deliveries in flight at once, over every workspace (shared fairly between them). */
    deliveryConcurrency: number;
  };
  /** What one workspace may cost the others. */
  limits: {
    /** Bytes of event data one workspace may append to the log per minute; 429 beyond. 0 turns it off. */
    logBytesPerMinutePerWorkspace: number;
    /** What the state cache may hold, in bytes (an estimate of each folded state's size). */
    stateCacheBytes: number;
  };
  /** The hosted page's login. */
  hostedLogin: {
    /** Failed logins a webview records before it locks, whatever the address. */
    maxFailures: number;
    /** How long it stays locked; the failures are then forgotten. */
    lockoutMs: number;
    /** How long a webview's link (its auth_token) opens the hosted page after the webview was created. */
    tokenTtlMs: number;
  };
  /** Whether a first start on an empty log creates a sandbox workspace and its key file. */
  createSandboxWorkspace: boolean;
  /** Envelope encryption of event data (src/encryption/). */
  encryption: EncryptionConfig;
}

export interface EncryptionConfig {
  /** Off only to measure what it costs (EVENT_ENCRYPTION=off): events are then appended in clear. */
  enabled: boolean;
  /** Where the master key is read from: MASTER_KEY_FILE, else MASTER_KEY, else DATA_DIR/master.key. */
  masterKey: { file: string } | { value: string } | { generatedIn: string };
  /** Where the wrapped data keys live: a SQLite file in DATA_DIR, or a PostgreSQL table every instance shares. */
  keyStore: { kind: 'sqlite'; path: string } | { kind: 'postgres'; connectionString: string };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * What @eventstore/db-client 6 parses: `esdb://` and `esdb+discover://` with at least one host. (It refuses
 * `kurrentdb://`; test/unit/config.test.ts holds this to the client's own parser.)
 */
export const ESDB_CONNECTION_STRING = /^esdb(\+discover)?:\/\/[^/?#\s]+/;

/** A PostgreSQL URL as `pg` takes it: postgres:// or postgresql://, with a host. */
export const POSTGRES_URL = /^postgres(ql)?:\/\/[^/?#\s]+/;

/**
 * Seam's webhook retry schedule: after a failed delivery, the next attempt comes at once, then after 5 s,
 * 5 min, 30 min, 2 h, 5 h, 10 h and 10 h. Nine attempts in all, the last about 27.6 h after the first; then
 * the event is given up and the next goes. WEBHOOK_RETRY_SCHEDULE_MS replaces the delays (tests shorten them).
 */
export const SEAM_RETRY_DELAYS_MS: readonly number[] = [
  0,
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  10 * 3_600_000,
];

// The environment, one variable at a time, as a zod schema: each variable's rule, default and type in one
// place. A blank variable counts as unset. Each schema's description is the rule an operator is told. It is
// zod 4's API from the zod 3.25 package (`zod/v4`): @seamapi/types, which the tests load, still asks for zod 3.

const blankIsUnset = (value: unknown) =>
  typeof value === 'string' ? (value.trim() === '' ? undefined : value.trim()) : value;

function variable<T extends z.ZodType>(schema: T, rule: string, { lowerCase = false } = {}) {
  return z
    .preprocess((value) => {
      const set = blankIsUnset(value);
      return lowerCase && typeof set === 'string' ? set.toLowerCase() : set;
    }, schema)
    .describe(rule);
}

const digits = (min: number, max: number) =>
  z.string().regex(/^\d+$/).transform(Number).pipe(z.number().min(min).max(max));

const wholeNumber = (fallback: number, min: number, max: number) =>
  variable(digits(min, max).default(fallback), `must be a whole number from ${min} to ${max}`);

const either = (values: readonly [string, ...string[]]) =>
  `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;

const oneOf = <const V extends readonly [string, ...string[]]>(values: V, fallback: V[number]) =>
  variable(z.enum(values).default(fallback), `must be ${either(values)}`, { lowerCase: true });

const trueOrFalse = (fallback: boolean) =>
  variable(z.stringbool({ truthy: ['true'], falsy: ['false'] }).default(fallback), 'must be true or false');

const text = (fallback: string) => variable(z.string().default(fallback), 'must be text');
const optionalText = variable(z.string().optional(), 'must be text');

const commaSeparated = (item: z.ZodType<number, number>) =>
  z
    .string()
    .transform((list) => list.split(',').map((part) => part.trim()))
    .pipe(z.array(z.string().regex(/^\d+$/).transform(Number).pipe(item)));

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const DEFAULT_WEBHOOK_PORTS = [80, 443, 8080, 8443];
const DAY_MS = 24 * 3_600_000;

const ENVIRONMENT = z.object({
  PORT: wholeNumber(3000, 0, 65535),
  HOST: text('127.0.0.1'),
  DATA_DIR: text('./data'),
  SQLITE_SYNCHRONOUS: variable(z.enum(['full', 'normal']).default('full'), 'must be FULL or NORMAL', {
    lowerCase: true,
  }),
  PUBLIC_URL: variable(
    z
      .url({ protocol: /^https?$/ })
      .transform((url) => url.replace(/\/+$/, ''))
      .optional(),
    'must be an http(s) URL',
  ),
  READ_YOUR_WRITES_TIMEOUT_MS: wholeNumber(10_000, 1, 600_000),
  EVENT_STORE: oneOf(['sqlite', 'postgres', 'eventstoredb'], 'sqlite'),
  EVENTSTORE_CONNECTION_STRING: text(''),
  EVENTSTORE_DEADLINE_MS: wholeNumber(5000, 100, 60_000),
  DATABASE_URL: text(''),
  POSTGRES_DEADLINE_MS: wholeNumber(5000, 100, 60_000),
  POSTGRES_MAX_CONNECTIONS: wholeNumber(10, 2, 1000),
  HTTP_REQUEST_TIMEOUT_MS: wholeNumber(10_000, 100, 600_000),
  HTTP_IDLE_TIMEOUT_MS: wholeNumber(60_000, 20_000, 3_600_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: wholeNumber(5_000, 100, 600_000),
  HTTP_MAX_CONNECTIONS: wholeNumber(4_096, 1, 1_000_000),
  EVENT_STREAMS_PER_KEY: wholeNumber(10, 1, 10_000),
  RATE_LIMIT_PER_KEY: wholeNumber(1_000, 0, 1_000_000),
  SHUTDOWN_GRACE_MS: wholeNumber(10_000, 100, 600_000),
  SHUTDOWN_DRAIN_MS: wholeNumber(1_000, 0, 600_000),
  RATE_LIMIT_PER_ADDRESS: wholeNumber(20, 0, 1_000_000),
  WEBHOOK_DELIVERY: trueOrFalse(true),
  WEBHOOK_ALLOW_PRIVATE_TARGETS: trueOrFalse(false),
  WEBHOOK_RETRY_SCHEDULE_MS: variable(
    commaSeparated(z.number().max(7 * DAY_MS))
      .pipe(z.array(z.number()).min(1).max(50))
      .default([...SEAM_RETRY_DELAYS_MS]),
    'must be 1 to 50 comma-separated delays in ms, each at most 7 days',
  ),
  // The old setting would now change nothing: an operator who set it is told, not ignored.
  WEBHOOK_RETRY_BASE_MS: variable(
    z.undefined(),
    'was replaced by WEBHOOK_RETRY_SCHEDULE_MS (the delays before each retry, in ms)',
  ),
  WEBHOOK_TIMEOUT_MS: wholeNumber(10_000, 1, 600_000),
  WEBHOOK_LEASE_CHECK_MS: wholeNumber(1000, 50, 60_000),
  WEBHOOK_ALLOWED_PORTS: variable(
    z.union([z.literal('any'), commaSeparated(z.number().min(1).max(65535))]).default(DEFAULT_WEBHOOK_PORTS),
    'must be a comma-separated list of ports, or any',
    { lowerCase: true },
  ),
  WEBHOOK_DNS_TIMEOUT_MS: wholeNumber(2000, 10, 60_000),
  WEBHOOKS_PER_WORKSPACE: wholeNumber(50, 1, 10_000),
  WEBHOOK_DELIVERY_CONCURRENCY: wholeNumber(16, 1, 1000),
  LOG_BYTES_PER_MINUTE_PER_WORKSPACE: wholeNumber(64 * 1024 * 1024, 0, 2 ** 40),
  STATE_CACHE_BYTES: wholeNumber(64 * 1024 * 1024, 1024 * 1024, 2 ** 40),
  LOGIN_FAILURES_PER_WEBVIEW: wholeNumber(10, 1, 10_000),
  LOGIN_LOCKOUT_MS: wholeNumber(15 * 60_000, 1000, 7 * DAY_MS),
  CONNECT_WEBVIEW_TOKEN_TTL_MS: wholeNumber(DAY_MS, 1000, 365 * DAY_MS),
  CREATE_SANDBOX_WORKSPACE: variable(
    z.stringbool({ truthy: ['true'], falsy: ['false'] }).optional(),
    'must be true or false',
  ),
  NODE_ENV: optionalText,
  LOG_LEVEL: oneOf(LOG_LEVELS, 'info'),
  LOG_FORMAT: oneOf(['json', 'pretty'], 'json'),
  METRICS_PORT: variable(
    z.union([z.literal('off').transform(() => null), digits(0, 65535)]).default(9464),
    'must be a whole number from 0 to 65535, or off',
    { lowerCase: true },
  ),
  METRICS_HOST: text('127.0.0.1'),
  EVENT_ENCRYPTION: oneOf(['on', 'off'], 'on'),
  MASTER_KEY_FILE: optionalText,
  MASTER_KEY: optionalText,
  KEY_STORE_URL: optionalText,
});

type Environment = z.output<typeof ENVIRONMENT>;

/** Variables whose value may carry a password: a problem shows them with it hidden. */
const URL_VARIABLES = new Set(['DATABASE_URL', 'KEY_STORE_URL', 'EVENTSTORE_CONNECTION_STRING']);

/** Reads and checks the environment once, at start-up; every problem is named, not just the first. */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  { stdoutIsTTY = Boolean(process.stdout.isTTY) } = {},
): AppConfig {
  const got = (name: string) => {
    const raw = env[name] ?? '';
    return `(got "${URL_VARIABLES.has(name) ? hideUrlPassword(raw) : raw}")`;
  };
  const parsed = ENVIRONMENT.safeParse(env);
  if (!parsed.success) {
    // One problem per variable, told by its rule, whichever of its checks failed; in the schema's order.
    const names = new Set(parsed.error.issues.map((issue) => String(issue.path[0])));
    const problems = Object.keys(ENVIRONMENT.shape)
      .filter((name) => names.has(name))
      .map((name) => `${name} ${ENVIRONMENT.shape[name as keyof Environment].description} ${got(name)}`);
    throw new ConfigError([...problems, ...crossVariableProblems(undefined, env, got)]);
  }
  const problems = crossVariableProblems(parsed.data, env, got);
  if (problems.length > 0) throw new ConfigError(problems);
  return toAppConfig(parsed.data, stdoutIsTTY);
}

/** The rules between variables: what a store needs, and which key settings exclude each other. */
function crossVariableProblems(
  parsed: Environment | undefined,
  env: NodeJS.ProcessEnv,
  got: (name: string) => string,
): string[] {
  const problems: string[] = [];
  const kind = parsed?.EVENT_STORE ?? env.EVENT_STORE?.trim().toLowerCase();
  const set = (name: string) => env[name]?.trim() ?? '';
  if (kind === 'eventstoredb' && !ESDB_CONNECTION_STRING.test(set('EVENTSTORE_CONNECTION_STRING'))) {
    problems.push(
      `EVENTSTORE_CONNECTION_STRING must be an esdb:// or esdb+discover:// connection string with EVENT_STORE=eventstoredb ${got('EVENTSTORE_CONNECTION_STRING')}`,
    );
  }
  if (kind === 'postgres' && !POSTGRES_URL.test(set('DATABASE_URL'))) {
    problems.push(
      `DATABASE_URL must be a postgres:// or postgresql:// URL with EVENT_STORE=postgres ${got('DATABASE_URL')}`,
    );
  }
  if (set('KEY_STORE_URL') && !POSTGRES_URL.test(set('KEY_STORE_URL'))) {
    problems.push(`KEY_STORE_URL must be a postgres:// or postgresql:// URL ${got('KEY_STORE_URL')}`);
  }
  if (set('MASTER_KEY_FILE') && set('MASTER_KEY')) problems.push('Set MASTER_KEY_FILE or MASTER_KEY, not both');
  return problems;
}

/** The checked environment in the shape the service reads. */
function toAppConfig(env: Environment, stdoutIsTTY: boolean): AppConfig {
  const { PORT: port, HOST: host } = env;
  const dataDir = resolve(env.DATA_DIR);
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const eventStore: AppConfig['eventStore'] =
    env.EVENT_STORE === 'eventstoredb'
      ? {
          kind: 'eventstoredb',
          connectionString: env.EVENTSTORE_CONNECTION_STRING,
          deadlineMs: env.EVENTSTORE_DEADLINE_MS,
        }
      : env.EVENT_STORE === 'postgres'
        ? {
            kind: 'postgres',
            connectionString: env.DATABASE_URL,
            deadlineMs: env.POSTGRES_DEADLINE_MS,
            maxConnections: env.POSTGRES_MAX_CONNECTIONS,
          }
        : { kind: 'sqlite' };
  const sharedKeyStoreUrl =
    env.KEY_STORE_URL ?? (eventStore.kind === 'postgres' ? eventStore.connectionString : undefined);
  return {
    port,
    host,
    dataDir,
    publicUrl: env.PUBLIC_URL ?? `http://${urlHost}:${port}`,
    publicUrlConfigured: env.PUBLIC_URL !== undefined,
    sqliteSynchronous: env.SQLITE_SYNCHRONOUS === 'full' ? 'FULL' : 'NORMAL',
    readYourWritesTimeoutMs: env.READ_YOUR_WRITES_TIMEOUT_MS,
    eventStore,
    http: {
      requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
      idleTimeoutMs: env.HTTP_IDLE_TIMEOUT_MS,
      keepAliveTimeoutMs: env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: env.HTTP_MAX_CONNECTIONS,
      maxEventStreamsPerKey: env.EVENT_STREAMS_PER_KEY,
      requestsPerSecondPerKey: env.RATE_LIMIT_PER_KEY,
      shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
      shutdownDrainMs: env.SHUTDOWN_DRAIN_MS,
      publicRequestsPerSecondPerAddress: env.RATE_LIMIT_PER_ADDRESS,
    },
    log: { level: env.LOG_LEVEL, format: env.LOG_FORMAT },
    metrics: { port: env.METRICS_PORT, host: env.METRICS_HOST },
    webhooks: {
      deliver: env.WEBHOOK_DELIVERY,
      allowPrivateTargets: env.WEBHOOK_ALLOW_PRIVATE_TARGETS,
      retryDelaysMs: env.WEBHOOK_RETRY_SCHEDULE_MS,
      timeoutMs: env.WEBHOOK_TIMEOUT_MS,
      leaseCheckMs: env.WEBHOOK_LEASE_CHECK_MS,
      allowedPorts: env.WEBHOOK_ALLOWED_PORTS,
      dnsTimeoutMs: env.WEBHOOK_DNS_TIMEOUT_MS,
      maxPerWorkspace: env.WEBHOOKS_PER_WORKSPACE,
      deliveryConcurrency: env.WEBHOOK_DELIVERY_CONCURRENCY,
    },
    limits: {
      logBytesPerMinutePerWorkspace: env.LOG_BYTES_PER_MINUTE_PER_WORKSPACE,
      stateCacheBytes: env.STATE_CACHE_BYTES,
    },
    hostedLogin: {
      maxFailures: env.LOGIN_FAILURES_PER_WEBVIEW,
      lockoutMs: env.LOGIN_LOCKOUT_MS,
      tokenTtlMs: env.CONNECT_WEBVIEW_TOKEN_TTL_MS,
    },
    // Unset: a newcomer's first start gets a sandbox; a production deployment gets none unless it asks.
    createSandboxWorkspace: env.CREATE_SANDBOX_WORKSPACE ?? !(env.NODE_ENV === 'production' && !stdoutIsTTY),
    encryption: {
      enabled: env.EVENT_ENCRYPTION === 'on',
      // Where the master key is read from: MASTER_KEY_FILE, else MASTER_KEY, else DATA_DIR/master.key.
      masterKey: env.MASTER_KEY_FILE
        ? { file: resolve(env.MASTER_KEY_FILE) }
        : env.MASTER_KEY
          ? { value: env.MASTER_KEY }
          : { generatedIn: resolve(dataDir, 'master.key') },
      keyStore: sharedKeyStoreUrl
        ? { kind: 'postgres', connectionString: sharedKeyStoreUrl }
        : { kind: 'sqlite', path: resolve(dataDir, 'keys.db') },
    },
  };
}
