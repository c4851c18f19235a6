import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

/**
 * Who delivers webhooks. Exactly one instance of a deployment may: two would send every event twice. With
 * one instance (SQLite, or WEBHOOK_DELIVERY naming the one) the lease is always held; on PostgreSQL it is a
 * session advisory lock that any instance may take.
 */
export interface DeliveryLease {
  /** Calls `acquired` when this instance may deliver, and `lost` when it may no longer; until stopped. */
  start(handlers: { acquired(): void; lost(): Promise<void> }): void;
  stop(): Promise<void>;
  readonly held: boolean;
}

export class AlwaysHeldLease implements DeliveryLease {
  held = false;
  start({ acquired }: { acquired(): void }): void {
    this.held = true;
    acquired();
  }
  async stop(): Promise<void> {
    this.held = false;
  }
}

/** The advisory lock's key: one per database, whatever the instance. */
const DELIVERY_LOCK = 7_424_002;

/**
 * A session-level advisory lock on a connection of its own. PostgreSQL releases it the moment that session
 * ends: a holder killed with `kill -9` drops its socket, and a standby, trying every `checkEveryMs`, takes
 * over within that time. A holder cut off from the database finds out by its own heartbeat (every
 * `checkEveryMs`, each with that deadline) and stops delivering before the server's TCP keepalives (idle 5 s,
 * then 3 probes 2 s apart) end its session and free the lock for another: the lease's expiry.
 */
export class PostgresAdvisoryLease implements DeliveryLease {
  held = false;
  private stopped = new AbortController();
  private running: Promise<void> | undefined;

  constructor(
    private readonly connectionString: string,
    private readonly checkEveryMs: number,
    private readonly logger: { log(message: string): void; warn(message: string): void },
  ) {}

  start(handlers: { acquired(): void; lost(): Promise<void> }): void {
    this.stopped = new AbortController();
    this.running = this.run(handlers, this.stopped.signal);
  }

  async stop(): Promise<void> {
    this.stopped.abort();
    await this.running;
  }

  private async run(handlers: { acquired(): void; lost(): Promise<void> }, signal: AbortSignal): Promise<void> {
    const pause = () => sleep(this.checkEveryMs, undefined, { signal }).catch(() => undefined);
    while (!signal.aborted) {
      const client = new pg.Client({
        connectionString: this.connectionString,
        connectionTimeoutMillis: this.checkEveryMs * 2,
        query_timeout: this.checkEveryMs * 2,
        keepAlive: true,
        options: '-c tcp_keepalives_idle=5 -c tcp_keepalives_interval=2 -c tcp_keepalives_count=3',
        application_name: 'custom-metadata-service webhook lease',
      });
      client.on('error', () => undefined); // seen by the next heartbeat
      try {
        await client.connect();
        while (!signal.aborted && !this.held) {
          const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
            DELIVERY_LOCK,
          ]);
          if (rows[0].locked) {
            this.held = true;
            this.logger.log('This instance now delivers webhooks (it holds the delivery lease)');
            handlers.acquired();
          } else await pause();
        }
        while (!signal.aborted) {
          await pause();
          if (!signal.aborted) await client.query('SELECT 1');
        }
      } catch (error) {
        if (this.held) this.logger.warn(`Lost the webhook delivery lease: ${String(error)}`);
        else if (!signal.aborted) await pause();
      } finally {
        if (this.held) {
          this.held = false;
          await handlers.lost();
        }
        await client.end().catch(() => undefined); // ends the session: the lock is free for another
      }
    }
  }
}
