/**
 * Bounds how many tasks run at once across every configuration, and how many of them one
 * key (a registry host) may hold: a registry that stalls or trickles then slows its own
 * scans, never everyone's. Waiters that abort leave the queue, so a cancelled scan does
 * not hold a place in line.
 */
export interface Limiter {
  /** Runs `task` once a slot is free, and one of `key`'s share when a key is given. */
  run<T>(task: () => Promise<T>, signal?: AbortSignal, key?: string): Promise<T>;
  readonly active: number;
  readonly waiting: number;
}

interface Waiter {
  key: string | undefined;
  grant(): void;
}

/** `perKey` defaults to `size`: no share, one queue in arrival order. */
export function createLimiter(size: number, perKey: number = size): Limiter {
  let active = 0;
  const byKey = new Map<string, number>();
  const queue: Waiter[] = [];

  function hasRoom(key: string | undefined): boolean {
    return active < size && (key === undefined || (byKey.get(key) ?? 0) < perKey);
  }

  function take(key: string | undefined): void {
    active += 1;
    if (key !== undefined) byKey.set(key, (byKey.get(key) ?? 0) + 1);
  }

  function release(key: string | undefined): void {
    active -= 1;
    if (key !== undefined) {
      const held = (byKey.get(key) ?? 1) - 1;
      if (held === 0) byKey.delete(key);
      else byKey.set(key, held);
    }
    // The first waiter whose key has room: one saturated key does not block the queue behind it.
    const index = queue.findIndex((waiter) => hasRoom(waiter.key));
    if (index >= 0) queue.splice(index, 1)[0]?.grant();
  }

  function acquire(key: string | undefined, signal?: AbortSignal): Promise<void> {
    // Every release hands its slot to a waiter that can use it, so no waiter that has room
    // is ever left in the queue: room now is room nobody is waiting for.
    if (hasRoom(key)) {
      take(key);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        key,
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          take(key);
          resolve();
        },
      };
      const onAbort = (): void => {
        const index = queue.indexOf(waiter);
        if (index >= 0) queue.splice(index, 1);
        reject(signal?.reason ?? new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      queue.push(waiter);
    });
  }

  return {
    async run(task, signal, key) {
      signal?.throwIfAborted();
      await acquire(key, signal);
      try {
        return await task();
      } finally {
        release(key);
      }
    },
    get active() {
      return active;
    },
    get waiting() {
      return queue.length;
    },
  };
}
