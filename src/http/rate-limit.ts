import { LRUCache } from 'lru-cache';
import { SeamError } from './seam-error.js';

/**
 * A token bucket per caller: `perSecond` requests a second on average, bursts of up to `burst`. At most
 * `maxCallers` buckets are kept (least recently used out), so no stream of new caller ids can grow memory.
 * Ours, not @fastify/rate-limit: that counts requests in fixed windows, and the per-workspace log limit
 * takes a cost in bytes from the same bucket (guards.ts).
 */
export class RateLimiter {
  private readonly buckets: LRUCache<string, { tokens: number; at: number }>;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    maxCallers = 100_000,
  ) {
    this.buckets = new LRUCache({ max: maxCallers });
  }

  /** Takes `cost` tokens (one request's, or its bytes), or throws 429 `rate_limited` saying when to retry. */
  take(caller: string, now = Date.now(), cost = 1): void {
    if (this.perSecond <= 0) return;
    const bucket = this.buckets.get(caller) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
    bucket.at = now;
    this.buckets.set(caller, bucket);
    if (bucket.tokens < cost) throw tooManyRequests((cost - bucket.tokens) / this.perSecond);
    bucket.tokens -= cost;
  }
}

function tooManyRequests(retryAfterSeconds: number): SeamError {
  const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
  const error = new SeamError(429, 'rate_limited', `Too many requests: retry in ${seconds} s`);
  error.headers = { 'retry-after': String(seconds) };
  return error;
}
