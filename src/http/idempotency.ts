import {
  applyDecorators,
  Inject,
  Injectable,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { from, lastValueFrom, type Observable } from 'rxjs';
import type { FastifyReply } from 'fastify';
import type { AppConfig } from '../common/config.js';
import { SeamError } from './seam-error.js';
import { openSqlite, type SqliteDatabase } from '../common/sqlite.js';
import { CONFIG, DATA_KEYS } from '../common/tokens.js';
import { open, seal } from '../encryption/aes-gcm.js';
import { workspaceKeyId } from '../encryption/data-key-policy.js';
import { DataErasedError, isKey, type DataKeys } from '../encryption/data-keys.js';
import { prepared } from '../common/prepared.js';
import type { RequestWithCaller } from './caller.js';

const answerAad = (workspaceId: string, key: string) => `idempotent-answer\u0000${workspaceId}\u0000${key}`;

/** How long an answer is kept for its key, as Stripe does. */
const KEPT_MS = 24 * 60 * 60 * 1000;
const MAX_KEY_LENGTH = 255;

/**
 * The answers of create routes called with an `Idempotency-Key` header, per workspace, for 24 h, in a file
 * of its own in DATA_DIR (`idempotency.db`): a retry with the same key and body gets the first answer and
 * creates nothing; the same key with another body is a 422. Only successes are kept: a refused request
 * created nothing, so its retry simply runs again.
 */
@Injectable()
export class IdempotencyStore implements OnApplicationShutdown {
  private readonly db: SqliteDatabase;
  /** Requests under way, so that a retry arriving before the first answer waits for it. */
  private readonly running = new Map<string, Promise<unknown>>();
  private readonly runningHashes = new Map<string, string>();

  constructor(
    @Inject(CONFIG) config: AppConfig,
    @Inject(DATA_KEYS) private readonly keys: DataKeys | undefined,
  ) {
    this.db = openSqlite(join(config.dataDir, 'idempotency.db'), { synchronous: 'FULL' });
    this.db.exec(`CREATE TABLE IF NOT EXISTS idempotent_answers (
      workspace_id TEXT NOT NULL,
      key          TEXT NOT NULL,
      request_hash TEXT NOT NULL,
      answer       TEXT NOT NULL,
      created_at   INTEGER NOT NULL,
      PRIMARY KEY (workspace_id, key)
    )`);
  }

  async answer(workspaceId: string, key: string, requestHash: string, run: () => Promise<unknown>): Promise<unknown> {
    const id = `${workspaceId} ${key}`;
    const kept = this.kept(workspaceId, key);
    const underWay = this.running.get(id);
    if (kept || underWay) {
      const hash = kept?.request_hash ?? this.runningHashes.get(id);
      if (hash !== requestHash) {
        throw new SeamError(
          422,
          'idempotency_key_reused',
          'This Idempotency-Key was used with another request: use a new key for a new request',
        );
      }
      return kept ? await this.open(workspaceId, key, kept.answer) : await underWay;
    }
    const first = run();
    this.running.set(id, first);
    this.runningHashes.set(id, requestHash);
    try {
      const answer = await first;
      const now = Date.now();
      prepared(this.db, 'DELETE FROM idempotent_answers WHERE created_at < ?').run(now - KEPT_MS);
      prepared(
        this.db,
        `INSERT OR REPLACE INTO idempotent_answers (workspace_id, key, request_hash, answer, created_at)
         VALUES (?, ?, ?, ?, ?)`,
      ).run(workspaceId, key, requestHash, await this.seal(workspaceId, key, answer), now);
      return answer;
    } finally {
      this.running.delete(id);
      this.runningHashes.delete(id);
    }
  }

  /**
   * An answer may hold a secret (a webhook's, say): it is kept sealed under its workspace's data key, so
   * this file holds none in clear, and a workspace's erasure makes its answers unreadable with the rest.
   */
  private async seal(workspaceId: string, key: string, answer: unknown): Promise<string> {
    const json = JSON.stringify(answer);
    if (!this.keys) return json;
    const dataKey = await this.keys.keyFor(workspaceKeyId(workspaceId), { workspaceId, ownerId: null });
    return JSON.stringify({ sealed: seal(dataKey, Buffer.from(json), answerAad(workspaceId, key)) });
  }

  private async open(workspaceId: string, key: string, stored: string): Promise<unknown> {
    const parsed = JSON.parse(stored) as unknown;
    const sealed = (parsed as { sealed?: unknown } | null)?.sealed;
    if (!this.keys || typeof sealed !== 'string') return parsed;
    const dataKey = await this.keys.openKey(workspaceKeyId(workspaceId));
    if (!isKey(dataKey)) throw new DataErasedError(workspaceKeyId(workspaceId), dataKey.erasedAt);
    return JSON.parse(open(dataKey, sealed, answerAad(workspaceId, key)).toString()) as unknown;
  }

  private kept(workspaceId: string, key: string) {
    const sql = `SELECT request_hash, answer FROM idempotent_answers
                 WHERE workspace_id = ? AND key = ? AND created_at >= ?`;
    return prepared(this.db, sql).get(workspaceId, key, Date.now() - KEPT_MS) as
      { request_hash: string; answer: string } | undefined;
  }

  onApplicationShutdown(): void {
    this.db.close();
  }
}

@Injectable()
class IdempotencyInterceptor implements NestInterceptor {
  constructor(@Inject(IdempotencyStore) private readonly store: IdempotencyStore) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<RequestWithCaller>();
    const key = request.headers['idempotency-key'];
    if (key === undefined || !request.caller) return next.handle();
    if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
      throw new SeamError(400, 'invalid_input', `Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} characters`);
    }
    const requestHash = createHash('sha256')
      .update(`${request.method} ${request.routeOptions.url} ${canonicalJson(request.body ?? {})}`)
      .digest('hex');
    let replayed = true;
    const answer = this.store.answer(request.caller.workspaceId, key, requestHash, () => {
      replayed = false;
      return lastValueFrom(next.handle());
    });
    return from(
      answer.then((value) => {
        if (replayed) void http.getResponse<FastifyReply>().header('idempotent-replayed', 'true');
        return value;
      }),
    );
  }
}

/** A create route whose retries may carry an `Idempotency-Key`. */
export const Idempotent = () => applyDecorators(UseInterceptors(IdempotencyInterceptor));

/** JSON with object keys sorted: the same body in another key order is the same request. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
