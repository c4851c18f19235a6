/** When the attempt after `failedAttempt` (1 = the first) is due, or null when that was the last. */
export function nextAttemptAt(delaysMs: readonly number[], failedAttempt: number, failedAt: number): number | null {
  const delay = delaysMs[failedAttempt - 1];
  return delay === undefined ? null : failedAt + delay;
}
