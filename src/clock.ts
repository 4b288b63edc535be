/** The time, injected so that tests can drive the scheduler and the store through a fake one. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
