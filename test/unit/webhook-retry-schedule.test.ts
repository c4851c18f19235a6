import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { loadConfig } from '../../src/common/config.js';
import { nextAttemptAt } from '../../src/webhooks/retry-schedule.js';

/**
 * A receiver that always fails, retried as the dispatcher retries it: each failure asks `nextAttemptAt` for
 * the next attempt and waits for it on the (fake) clock.
 */
function failEveryAttempt(delays: readonly number[]): Promise<number[]> {
  const attempts: number[] = [];
  return new Promise((resolve) => {
    const attempt = () => {
      attempts.push(Date.now());
      const next = nextAttemptAt(delays, attempts.length, Date.now());
      if (next === null) resolve(attempts);
      else setTimeout(attempt, next - Date.now());
    };
    attempt();
  });
}

describe("webhook retries on Seam's schedule", () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: Date.parse('2026-12-02T00:00:00Z') });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('retries at once, then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h: the last about 27.6 h after the first', async () => {
    const { retryDelaysMs } = loadConfig({}).webhooks;
    const done = failEveryAttempt(retryDelaysMs);
    await jest.runAllTimersAsync();
    const attempts = await done;
    const offsets = attempts.map((at) => at - attempts[0]);
    const [s, min, h] = [1000, 60_000, 3_600_000];
    expect(offsets).toEqual([
      0,
      0,
      5 * s,
      5 * s + 5 * min,
      5 * s + 35 * min,
      5 * s + 2 * h + 35 * min,
      5 * s + 7 * h + 35 * min,
      5 * s + 17 * h + 35 * min,
      5 * s + 27 * h + 35 * min,
    ]);
    expect(offsets.at(-1)! / h).toBeCloseTo(27.6, 1);
  });

  it('takes another schedule from WEBHOOK_RETRY_SCHEDULE_MS, and refuses a malformed one', () => {
    expect(loadConfig({ WEBHOOK_RETRY_SCHEDULE_MS: '100, 200' }).webhooks.retryDelaysMs).toEqual([100, 200]);
    expect(nextAttemptAt([100, 200], 3, 0)).toBeNull();
    expect(() => loadConfig({ WEBHOOK_RETRY_SCHEDULE_MS: '5s' })).toThrow(/WEBHOOK_RETRY_SCHEDULE_MS must be/);
    expect(() => loadConfig({ WEBHOOK_RETRY_BASE_MS: '5000' })).toThrow(/replaced by WEBHOOK_RETRY_SCHEDULE_MS/);
  });
});
