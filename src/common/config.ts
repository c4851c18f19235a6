import { resolve } from 'node:path';
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

/** Reads and checks the environment once, at start-up; every problem is named, not just the first. */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  { stdoutIsTTY = Boolean(process.stdout.isTTY) } = {},
): AppConfig {
  const problems: string[] = [];

  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  };

  const port = integer('PORT', 3000, 0, 65535);
  const host = env.HOST?.trim() || '127.0.0.1';
  const dataDir = resolve(env.DATA_DIR?.trim() || './data');

  const synchronous = (env.SQLITE_SYNCHRONOUS?.trim() || 'FULL').toUpperCase();
  if (synchronous !== 'FULL' && synchronous !== 'NORMAL') {
    problems.push(`SQLITE_SYNCHRONOUS must be FULL or NORMAL (got "${env.SQLITE_SYNCHRONOUS}")`);
  }

  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  let publicUrl = env.PUBLIC_URL?.trim() || `http://${urlHost}:${port}`;
  try {
    const url = new URL(publicUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
    publicUrl = publicUrl.replace(/\/+$/, '');
  } catch {
    problems.push(`PUBLIC_URL must be an http(s) URL (got "${env.PUBLIC_URL}")`);
  }

  const readYourWritesTimeoutMs = integer('READ_YOUR_WRITES_TIMEOUT_MS', 10000, 1, 600000);

  const kind = (env.EVENT_STORE?.trim() || 'sqlite').toLowerCase();
  const connectionString = env.EVENTSTORE_CONNECTION_STRING?.trim() ?? '';
  let eventStore: AppConfig['eventStore'] = { kind: 'sqlite' };
  if (kind === 'eventstoredb') {
    if (!ESDB_CONNECTION_STRING.test(connectionString)) {
      problems.push(
        `EVENTSTORE_CONNECTION_STRING must be an esdb:// or esdb+discover:// connection string with EVENT_STORE=eventstoredb (got "${connectionString}")`,
      );
    }
    eventStore = { kind, connectionString, deadlineMs: integer('EVENTSTORE_DEADLINE_MS', 5000, 100, 60000) };
  } else if (kind === 'postgres') {
    const databaseUrl = env.DATABASE_URL?.trim() ?? '';
    if (!POSTGRES_URL.test(databaseUrl)) {
      problems.push(
        `DATABASE_URL must be a postgres:// or postgresql:// URL with EVENT_STORE=postgres (got "${hideUrlPassword(databaseUrl)}")`,
      );
    }
    eventStore = {
      kind,
      connectionString: databaseUrl,
      deadlineMs: integer('POSTGRES_DEADLINE_MS', 5000, 100, 60000),
      maxConnections: integer('POSTGRES_MAX_CONNECTIONS', 10, 2, 1000),
    };
  } else if (kind !== 'sqlite') {
    problems.push(`EVENT_STORE must be sqlite, postgres or eventstoredb (got "${env.EVENT_STORE}")`);
  }
  const allowPrivate = (env.WEBHOOK_ALLOW_PRIVATE_TARGETS ?? 'false').trim().toLowerCase();
  if (allowPrivate !== 'true' && allowPrivate !== 'false') {
    problems.push(`WEBHOOK_ALLOW_PRIVATE_TARGETS must be true or false (got "${env.WEBHOOK_ALLOW_PRIVATE_TARGETS}")`);
  }
  const deliver = (env.WEBHOOK_DELIVERY ?? 'true').trim().toLowerCase();
  if (deliver !== 'true' && deliver !== 'false')
    problems.push(`WEBHOOK_DELIVERY must be true or false (got "${env.WEBHOOK_DELIVERY}")`);
  const http = {
    requestTimeoutMs: integer('HTTP_REQUEST_TIMEOUT_MS', 10_000, 100, 600_000),
    idleTimeoutMs: integer('HTTP_IDLE_TIMEOUT_MS', 60_000, 20_000, 3_600_000),
    keepAliveTimeoutMs: integer('HTTP_KEEP_ALIVE_TIMEOUT_MS', 5_000, 100, 600_000),
    maxConnections: integer('HTTP_MAX_CONNECTIONS', 4_096, 1, 1_000_000),
    maxEventStreamsPerKey: integer('EVENT_STREAMS_PER_KEY', 10, 1, 10_000),
    requestsPerSecondPerKey: integer('RATE_LIMIT_PER_KEY', 1_000, 0, 1_000_000),
    shutdownGraceMs: integer('SHUTDOWN_GRACE_MS', 10_000, 100, 600_000),
    shutdownDrainMs: integer('SHUTDOWN_DRAIN_MS', 1_000, 0, 600_000),
    publicRequestsPerSecondPerAddress: integer('RATE_LIMIT_PER_ADDRESS', 20, 0, 1_000_000),
  };

  const webhooks = {
    deliver: deliver !== 'false',
    allowPrivateTargets: allowPrivate === 'true',
    retryDelaysMs: delayList(env.WEBHOOK_RETRY_SCHEDULE_MS, env.WEBHOOK_RETRY_BASE_MS, problems),
    timeoutMs: integer('WEBHOOK_TIMEOUT_MS', 10000, 1, 600_000),
    leaseCheckMs: integer('WEBHOOK_LEASE_CHECK_MS', 1000, 50, 60_000),
    allowedPorts: portList(env.WEBHOOK_ALLOWED_PORTS, problems),
    dnsTimeoutMs: integer('WEBHOOK_DNS_TIMEOUT_MS', 2000, 10, 60_000),
    maxPerWorkspace: integer('WEBHOOKS_PER_WORKSPACE', 50, 1, 10_000),
    deliveryConcurrency: integer('WEBHOOK_DELIVERY_CONCURRENCY', 16, 1, 1000),
  };
  const limits = {
    logBytesPerMinutePerWorkspace: integer('LOG_BYTES_PER_MINUTE_PER_WORKSPACE', 64 * 1024 * 1024, 0, 2 ** 40),
    stateCacheBytes: integer('STATE_CACHE_BYTES', 64 * 1024 * 1024, 1024 * 1024, 2 ** 40),
  };
  const hostedLogin = {
    maxFailures: integer('LOGIN_FAILURES_PER_WEBVIEW', 10, 1, 10_000),
    lockoutMs: integer('LOGIN_LOCKOUT_MS', 15 * 60_000, 1000, 7 * 24 * 3_600_000),
    tokenTtlMs: integer('CONNECT_WEBVIEW_TOKEN_TTL_MS', 24 * 3_600_000, 1000, 365 * 24 * 3_600_000),
  };
  const sandbox = (env.CREATE_SANDBOX_WORKSPACE ?? '').trim().toLowerCase();
  if (sandbox !== '' && sandbox !== 'true' && sandbox !== 'false')
    problems.push(`CREATE_SANDBOX_WORKSPACE must be true or false (got "${env.CREATE_SANDBOX_WORKSPACE}")`);
  // Unset: a newcomer's first start gets a sandbox; a production deployment gets none unless it asks.
  const createSandboxWorkspace = sandbox === '' ? !(env.NODE_ENV === 'production' && !stdoutIsTTY) : sandbox === 'true';

  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
  const level = (env.LOG_LEVEL?.trim() || 'info').toLowerCase() as LogConfig['level'];
  if (!levels.includes(level)) problems.push(`LOG_LEVEL must be one of ${levels.join(', ')} (got "${env.LOG_LEVEL}")`);
  const format = (env.LOG_FORMAT?.trim() || 'json').toLowerCase();
  if (format !== 'json' && format !== 'pretty')
    problems.push(`LOG_FORMAT must be json or pretty (got "${env.LOG_FORMAT}")`);
  const metricsOff = env.METRICS_PORT?.trim().toLowerCase() === 'off';
  const metrics = {
    port: metricsOff ? null : integer('METRICS_PORT', 9464, 0, 65535),
    host: env.METRICS_HOST?.trim() || '127.0.0.1',
  };

  const encryption = encryptionConfig(env, dataDir, eventStore, problems);

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port,
    host,
    dataDir,
    publicUrl,
    publicUrlConfigured: Boolean(env.PUBLIC_URL?.trim()),
    sqliteSynchronous: synchronous as 'FULL' | 'NORMAL',
    readYourWritesTimeoutMs,
    eventStore,
    http,
    log: { level, format: format as LogConfig['format'] },
    metrics,
    webhooks,
    limits,
    hostedLogin,
    createSandboxWorkspace,
    encryption,
  };
}

/** The master key's and the key store's settings; the key itself is read when the store opens (encryption/). */
function encryptionConfig(
  env: NodeJS.ProcessEnv,
  dataDir: string,
  eventStore: AppConfig['eventStore'],
  problems: string[],
): EncryptionConfig {
  const enabled = (env.EVENT_ENCRYPTION ?? 'on').trim().toLowerCase();
  if (enabled !== 'on' && enabled !== 'off')
    problems.push(`EVENT_ENCRYPTION must be on or off (got "${env.EVENT_ENCRYPTION}")`);
  const file = env.MASTER_KEY_FILE?.trim();
  const value = env.MASTER_KEY?.trim();
  if (file && value) problems.push('Set MASTER_KEY_FILE or MASTER_KEY, not both');
  const masterKey = file
    ? { file: resolve(file) }
    : value
      ? { value }
      : { generatedIn: resolve(dataDir, 'master.key') };
  const keyStoreUrl = env.KEY_STORE_URL?.trim();
  if (keyStoreUrl && !POSTGRES_URL.test(keyStoreUrl))
    problems.push(`KEY_STORE_URL must be a postgres:// or postgresql:// URL (got "${hideUrlPassword(keyStoreUrl)}")`);
  const sharedUrl = keyStoreUrl || (eventStore.kind === 'postgres' ? eventStore.connectionString : undefined);
  const keyStore: EncryptionConfig['keyStore'] = sharedUrl
    ? { kind: 'postgres', connectionString: sharedUrl }
    : { kind: 'sqlite', path: resolve(dataDir, 'keys.db') };
  return { enabled: enabled !== 'off', masterKey, keyStore };
}

/** WEBHOOK_ALLOWED_PORTS: a comma-separated list of ports, or `any`. */
function portList(raw: string | undefined, problems: string[]): number[] | 'any' {
  const text = (raw ?? '80,443,8080,8443').trim().toLowerCase();
  if (text === 'any') return 'any';
  const ports = text.split(',').map((part) => part.trim());
  if (ports.some((port) => !/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535)) {
    problems.push(`WEBHOOK_ALLOWED_PORTS must be a comma-separated list of ports, or any (got "${raw}")`);
    return [80, 443, 8080, 8443];
  }
  return ports.map(Number);
}

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

/** WEBHOOK_RETRY_SCHEDULE_MS: the delays before each retry, comma-separated milliseconds (1 to 50 of them). */
function delayList(raw: string | undefined, replaced: string | undefined, problems: string[]): readonly number[] {
  // The old setting would now change nothing: an operator who set it is told, not ignored.
  if (replaced !== undefined) {
    problems.push(
      'WEBHOOK_RETRY_BASE_MS was replaced by WEBHOOK_RETRY_SCHEDULE_MS (the delays before each retry, in ms)',
    );
  }
  if (raw === undefined || raw.trim() === '') return SEAM_RETRY_DELAYS_MS;
  const delays = raw.split(',').map((part) => part.trim());
  const valid = (delay: string) => /^\d+$/.test(delay) && Number(delay) <= 7 * 24 * 3_600_000;
  if (delays.length > 50 || !delays.every(valid)) {
    problems.push(
      `WEBHOOK_RETRY_SCHEDULE_MS must be 1 to 50 comma-separated delays in ms, each at most 7 days (got "${raw}")`,
    );
    return SEAM_RETRY_DELAYS_MS;
  }
  return delays.map(Number);
}
