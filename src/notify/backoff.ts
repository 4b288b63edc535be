/** When failed deliveries are tried again, and for how long. */
export interface RetryPolicy {
  /** Pause after the first failure; it doubles with each one after. */
  baseMs: number;
  maxMs: number;
  /** A message still failing this long after it was queued is given up. */
  giveUpAfterMs: number;
  /** A 429's `Retry-After` is honoured up to this long. */
  maxRetryAfterMs: number;
}

// 24 h of retries (the promise), starting at 5 s and doubling to at most an hour:
// 5 s, 10 s, 20 s, … then hourly, about 30 attempts in all.
export const DEFAULT_RETRY: RetryPolicy = { baseMs: 5_000, maxMs: 3_600_000, giveUpAfterMs: 86_400_000, maxRetryAfterMs: 3_600_000 };

/**
 * Exponential backoff with jitter: a random pause between half and all of the doubled
 * delay, so that messages failing together (a receiver down) do not all return at once.
 */
export function backoffMs(policy: RetryPolicy, attempts: number, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempts - 1, 30));
  return Math.round(exponential * (0.5 + random() * 0.5));
}

/** When to try again after a failed attempt, or null when it is not worth it or too late. */
export function nextAttempt(
  policy: RetryPolicy,
  failure: { retryable: boolean; retryAfterMs: number | null },
  attempts: number,
  createdAt: Date,
  now: Date,
): Date | null {
  if (!failure.retryable) return null;
  const delay = failure.retryAfterMs !== null ? Math.min(failure.retryAfterMs, policy.maxRetryAfterMs) : backoffMs(policy, attempts);
  const at = now.getTime() + delay;
  return at - createdAt.getTime() > policy.giveUpAfterMs ? null : new Date(at);
}
