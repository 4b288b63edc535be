import type { Logger } from '../logger.js';

/**
 * This process's share of each registry's request budget: 1 / the processes holding a
 * live scan lease, re-counted in the shared database every `intervalMs`. N processes
 * scanning at once each send a host 1/N of its rate, so together they stay within it
 * (roughly: the count is of processes scanning anything, not that host, so it errs on the
 * gentle side, and a process that just started scanning is counted at the next refresh).
 */
export interface BudgetShare {
  /** The share now, from 0 to 1: what `RequestBudgetOptions.share` reads. */
  current(): number;
  stop(): void;
}

export function startBudgetShare(count: () => Promise<number>, logger: Logger, intervalMs = 15_000): BudgetShare {
  let share = 1;
  const refresh = (): void => {
    count()
      .then((holders) => {
        // This process counts even between two of its scans' leases.
        share = 1 / Math.max(1, holders);
      })
      .catch((err: unknown) => logger.warn({ err }, 'registry budget share not refreshed'));
  };
  refresh();
  const timer = setInterval(refresh, intervalMs);
  timer.unref();
  return { current: () => share, stop: () => clearInterval(timer) };
}
