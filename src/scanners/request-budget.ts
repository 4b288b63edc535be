import { setTimeout as sleep } from 'node:timers/promises';

/** How much one registry host may be asked: requests per second, and requests in flight at once. */
export interface HostLimits {
  rps: number;
  connections: number;
}

export interface RequestBudgetOptions {
  limitsFor(host: string): HostLimits;
  /**
   * This process's part of every host's rate, from 0 to 1 (1 / the processes scanning at
   * once, on a shared database), read before each request; 1 by default.
   */
  share?: () => number;
  now?: () => number;
}

/**
 * Every registry request of the process goes through here, whatever configuration it is
 * for: a host gets at most its `connections` requests at once and its `rps` per second,
 * spaced evenly (a request may start once `1/rps` after the one before; an idle host lets
 * one second's worth through at once). A host that answers 429 (or 503) with
 * `Retry-After` is paused as a whole until then: every request to it waits, requests to
 * other hosts go on.
 */
export interface RequestBudget {
  /** Waits for a slot and a start time; resolves to the slot's release (idempotent). */
  acquire(host: string, signal?: AbortSignal): Promise<() => void>;
  /** No request to `host` starts for `ms` (capped at `MAX_PAUSE_MS`). */
  pauseHost(host: string, ms: number): void;
  /** The time until which `host` is paused, or 0. */
  pausedUntil(host: string): number;
}

/** The longest a Retry-After is believed: a registry asking for an hour is more likely wrong than right. */
export const MAX_PAUSE_MS = 10 * 60_000;
export const DEFAULT_HOST_LIMITS: Readonly<HostLimits> = Object.freeze({ rps: 50, connections: 16 });

interface HostState {
  active: number;
  waiters: (() => void)[];
  /** When the rate's schedule of requests has got to; up to a second ahead of now. */
  nextStart: number;
  pausedUntil: number;
}

export function createRequestBudget(options: RequestBudgetOptions): RequestBudget {
  const hosts = new Map<string, HostState>();
  const now = options.now ?? Date.now;
  const share = options.share ?? (() => 1);

  function stateOf(host: string): HostState {
    const key = host.toLowerCase();
    let state = hosts.get(key);
    if (!state) {
      state = { active: 0, waiters: [], nextStart: 0, pausedUntil: 0 };
      hosts.set(key, state);
    }
    return state;
  }

  async function slot(state: HostState, limits: HostLimits, signal?: AbortSignal): Promise<void> {
    if (state.active < limits.connections) {
      state.active += 1;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const grant = (): void => {
        signal?.removeEventListener('abort', onAbort);
        state.active += 1;
        resolve();
      };
      const onAbort = (): void => {
        const at = state.waiters.indexOf(grant);
        if (at >= 0) state.waiters.splice(at, 1);
        reject(signal?.reason ?? new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      state.waiters.push(grant);
    });
  }

  function release(state: HostState): void {
    state.active -= 1;
    state.waiters.shift()?.();
  }

  return {
    async acquire(host, signal) {
      signal?.throwIfAborted();
      const state = stateOf(host);
      const limits = options.limitsFor(host);
      await slot(state, limits, signal);
      try {
        // Re-checked after every wait: a 429 may pause the host meanwhile.
        for (;;) {
          const rate = Math.max(0.01, limits.rps * Math.min(1, Math.max(0.01, share())));
          const interval = 1000 / rate;
          const at = now();
          // Spaced by `interval`, with a second's worth let through at once after a quiet spell
          // (the generic cell rate algorithm: `nextStart` runs ahead of now by at most a second).
          const due = Math.max(state.nextStart, at);
          const start = Math.max(state.pausedUntil, due - Math.max(0, 1000 - interval));
          if (start <= at) {
            state.nextStart = due + interval;
            break;
          }
          await sleep(start - at, undefined, { signal });
        }
      } catch (err) {
        release(state);
        throw err;
      }
      let released = false;
      return () => {
        if (released) return;
        released = true;
        release(state);
      };
    },
    pauseHost(host, ms) {
      const state = stateOf(host);
      state.pausedUntil = Math.max(state.pausedUntil, now() + Math.min(Math.max(0, ms), MAX_PAUSE_MS));
    },
    pausedUntil(host) {
      const until = hosts.get(host.toLowerCase())?.pausedUntil ?? 0;
      return until > now() ? until : 0;
    },
  };
}

/** A budget that never waits: for clients built without one (tests of other parts, one-off tools). */
export const UNLIMITED_BUDGET: RequestBudget = {
  acquire: async () => () => undefined,
  pauseHost: () => undefined,
  pausedUntil: () => 0,
};
