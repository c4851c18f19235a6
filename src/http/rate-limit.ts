import { SeamError } from '../common/seam-error.js';

/**
 * A token bucket per caller: `perSecond` requests a second on average, bursts of up to `burst`. At most
 * `maxCallers` buckets are kept (least recently used out), so no stream of new caller ids can grow memory.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly maxCallers = 100_000,
  ) {}

  /** Takes one request's token, or throws 429 `rate_limited` saying when to retry. */
  take(caller: string, now = Date.now()): void {
    if (this.perSecond <= 0) return;
    const bucket = this.buckets.get(caller) ?? { tokens: this.burst, at: now };
    this.buckets.delete(caller);
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
    bucket.at = now;
    this.buckets.set(caller, bucket);
    if (this.buckets.size > this.maxCallers) this.buckets.delete(this.buckets.keys().next().value as string);
    if (bucket.tokens < 1) throw tooManyRequests((1 - bucket.tokens) / this.perSecond);
    bucket.tokens -= 1;
  }
}

/**
 * Failed logins per webview and client address: after `maxFailures` in a row the pair is locked out for
 * `lockoutMs`, doubling with each lockout that follows (up to an hour). Locked out, an attempt is refused
 * before it is tried, so it is neither logged nor announced: the log holds at most `maxFailures` failed
 * logins per pair and lockout window. A success forgets the pair.
 */
export class LoginThrottle {
  private readonly pairs = new Map<string, { failures: number; lockouts: number; lockedUntil: number }>();

  constructor(
    private readonly maxFailures = 5,
    private readonly lockoutMs = 60_000,
    private readonly maxPairs = 100_000,
  ) {}

  /** Throws 429 while the pair is locked out. */
  check(pair: string, now = Date.now()): void {
    const state = this.pairs.get(pair);
    if (state && state.lockedUntil > now) throw tooManyRequests((state.lockedUntil - now) / 1000);
  }

  failed(pair: string, now = Date.now()): void {
    const state = this.pairs.get(pair) ?? { failures: 0, lockouts: 0, lockedUntil: 0 };
    this.pairs.delete(pair);
    state.failures += 1;
    if (state.failures >= this.maxFailures) {
      state.failures = 0;
      state.lockedUntil = now + Math.min(this.lockoutMs * 2 ** state.lockouts, 3_600_000);
      state.lockouts += 1;
    }
    this.pairs.set(pair, state);
    if (this.pairs.size > this.maxPairs) this.pairs.delete(this.pairs.keys().next().value as string);
  }

  succeeded(pair: string): void {
    this.pairs.delete(pair);
  }
}

function tooManyRequests(retryAfterSeconds: number): SeamError {
  const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
  const error = new SeamError(429, 'rate_limited', `Too many requests: retry in ${seconds} s`);
  error.headers = { 'retry-after': String(seconds) };
  return error;
}
