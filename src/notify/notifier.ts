import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { ClaimedDelivery, DeliveryOutcome } from '../domain/subscription.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';
import { DEFAULT_RETRY, nextAttempt, type RetryPolicy } from './backoff.js';
import type { NotifyMetrics } from './notify-metrics.js';
import { planPeriodicDigest, planRunDigests } from './plans.js';
import { sendDelivery } from './sender.js';
import { createWebhookAgent } from './webhook-target.js';

export interface NotifierOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  metrics: NotifyMetrics;
  /** The service's own URL, for links in messages. */
  publicUrl: string;
  allowPrivate: boolean;
  timeoutMs: number;
  /** Messages in flight at once, across subscriptions (one per subscription at most). */
  concurrency?: number;
  /** How often to look for work without a cue (another process's commit on SQLite, a retry falling due). */
  pollMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Consecutive failed attempts after which a subscription is marked failing. */
  failingAfter?: number;
}

export interface Notifier {
  start(): void;
  /** Look for work now: events were committed or a message was queued. */
  wake(): void;
  /** Stops claiming, waits for messages in flight, gives up leases. */
  stop(): Promise<void>;
  /**
   * One bounded pass, for a notifier that is not started: relays the events committed so
   * far, sends every message due until none is left or `signal` aborts, then stops as
   * `stop` does. Messages not sent are left to the next pass (or another process).
   */
  runPending(signal: AbortSignal): Promise<void>;
}

// Events per relay transaction; a run's events are never split (see the store's relay).
const RELAY_BATCH = 2_000;
const PERIODIC_CHECK_MS = 30_000;
const PRUNE_EVERY_MS = 600_000;
// Finished messages and their attempts are kept a week for the delivery list.
const KEEP_FINISHED_MS = 7 * 86_400_000;
const PRUNE_BATCH = 1_000;
// Within the service's 30 s shutdown budget, whatever the webhook timeout.
const SHUTDOWN_GRACE_MS = 5_000;

/**
 * A task that runs once per cue: cues while it runs make it run once more afterwards,
 * never twice at once.
 */
function singleFlight(run: () => Promise<void>, onError: (err: unknown) => void): { kick(): void; idle(): Promise<void> } {
  let running: Promise<void> | null = null;
  let again = false;
  const loop = async (): Promise<void> => {
    do {
      again = false;
      try {
        await run();
      } catch (err) {
        onError(err);
      }
    } while (again);
    running = null;
  };
  return {
    kick() {
      if (running) again = true;
      else running = loop();
    },
    idle: () => running ?? Promise.resolve(),
  };
}

/**
 * Follows the event log and delivers: a relay turns committed events into queued messages,
 * and a worker sends due messages under a lease, any number of processes side by side.
 */
export function createNotifier(options: NotifierOptions): Notifier {
  const { store, clock, logger } = options;
  const owner = `notify-${randomUUID()}`;
  const retry: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  const concurrency = options.concurrency ?? 64;
  const failingAfter = options.failingAfter ?? 5;
  // The lease outlives any attempt, so a live worker never loses a message it is sending.
  const leaseMs = options.timeoutMs * 3 + 10_000;
  // One origin may serve every subscription (hooks.slack.com): it may take all the messages in flight.
  const agent = createWebhookAgent({ allowPrivate: options.allowPrivate, timeoutMs: options.timeoutMs, connections: concurrency });
  const context = { publicUrl: options.publicUrl.replace(/\/+$/, '') };
  const inFlight = new Set<Promise<void>>();
  const shutdown = new AbortController();
  let stopped = true;
  let timer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;
  let lastPeriodic = 0;
  let lastPrune = 0;

  /** Attempts waiting to be recorded: written together, one transaction for all that finished meanwhile. */
  let unrecorded: DeliveryOutcome[] = [];

  const relay = singleFlight(relayStep, (err) => logger.error({ err }, 'relaying events to subscriptions failed'));
  const worker = singleFlight(deliverStep, (err) => logger.error({ err }, 'claiming webhook deliveries failed'));
  const recorder = singleFlight(recordStep, (err) => logger.error({ err }, 'recording webhook deliveries failed'));

  async function recordStep(): Promise<void> {
    const batch = unrecorded;
    unrecorded = [];
    if (batch.length === 0) return;
    // A record that fails is lost with its lease: the message is sent again once the lease
    // runs out (at least once, never lost).
    await store.finishDeliveries(batch, failingAfter);
    // The subscriptions' next messages may be due now.
    worker.kick();
  }

  /**
   * Queues an attempt's record. The sender's slot is free at once: a subscription's next
   * message still waits for this record (the claim takes only the oldest unfinished one),
   * but other subscriptions' messages need not, so claims and records overlap.
   */
  function record(outcome: DeliveryOutcome): void {
    unrecorded.push(outcome);
    recorder.kick();
  }

  async function relayStep(): Promise<void> {
    if (stopped) return;
    let queued = 0;
    for (;;) {
      const result = await store.relayEvents(RELAY_BATCH, (events, subscriptions) => planRunDigests(events, subscriptions, context, clock.now()), clock.now());
      queued += result.deliveries;
      if (result.busy || result.events === 0) break;
    }
    const now = clock.now();
    if (now.getTime() - lastPeriodic >= PERIODIC_CHECK_MS) {
      lastPeriodic = now.getTime();
      queued += await store.relayPeriodicDigests(now, (subscription, at) =>
        planPeriodicDigest(subscription, context, at, new Date(at.getTime() - (subscription.digest === 'daily' ? 86_400_000 : 3_600_000))),
      );
    }
    if (now.getTime() - lastPrune >= PRUNE_EVERY_MS) {
      lastPrune = now.getTime();
      // Bounded batches, repeated while full, so that a long backlog never holds the database for long.
      while ((await store.pruneDeliveries(new Date(now.getTime() - KEEP_FINISHED_MS), PRUNE_BATCH)) === PRUNE_BATCH && !stopped);
    }
    if (queued > 0) worker.kick();
  }

  async function deliverStep(): Promise<void> {
    while (!stopped && inFlight.size < concurrency) {
      const claimed = await store.claimDeliveries(owner, clock.now(), leaseMs, concurrency - inFlight.size);
      if (claimed.length === 0) return;
      for (const delivery of claimed) {
        const sending = deliver(delivery).finally(() => {
          inFlight.delete(sending);
          worker.kick();
        });
        inFlight.add(sending);
      }
    }
  }

  async function deliver(delivery: ClaimedDelivery): Promise<void> {
    const started = clock.now();
    const result = await sendDelivery(delivery, {
      agent,
      timeoutMs: options.timeoutMs,
      allowPrivate: options.allowPrivate,
      now: started,
      signal: shutdown.signal,
    });
    // Cut short by shutdown: not the receiver's failure. The lease is given up, so another
    // process sends it again (at least once).
    if (shutdown.signal.aborted) return;
    const at = clock.now();
    const attempts = delivery.attempts + 1;
    const retryAt = result.ok ? null : nextAttempt(retry, result, attempts, delivery.createdAt, at);
    const outcome = result.ok ? 'delivered' : retryAt ? 'retry' : 'failed';
    options.metrics.deliveries.inc({ format: delivery.subscription.format, outcome });
    if (result.ok && delivery.eventTime) options.metrics.latency.observe((at.getTime() - delivery.eventTime.getTime()) / 1000);
    if (!result.ok) {
      logger.info({ subscription: delivery.subscription.id, messageId: delivery.messageId, status: result.statusCode, error: result.error, attempts, outcome }, 'webhook delivery failed');
    }
    record({
      seq: delivery.seq,
      subscriptionId: delivery.subscription.id,
      owner,
      at,
      ok: result.ok,
      statusCode: result.statusCode,
      error: result.error,
      durationMs: at.getTime() - started.getTime(),
      retryAt,
    });
  }

  function tick(): void {
    relay.kick();
    worker.kick();
  }

  const notifier: Notifier = {
    start() {
      if (!stopped) return;
      stopped = false;
      unsubscribe = store.onChange(() => relay.kick());
      timer = setInterval(tick, options.pollMs ?? 1_000);
      timer.unref();
      tick();
    },
    wake: tick,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      unsubscribe?.();
      await relay.idle();
      await worker.idle();
      // Messages in flight get a moment to be answered, then are cut short.
      const grace = new Promise<void>((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS).unref());
      await Promise.race([Promise.allSettled([...inFlight]), grace]);
      shutdown.abort();
      await Promise.allSettled([...inFlight]);
      await recorder.idle();
      await store.releaseDeliveries(owner);
      await agent.close();
    },
    async runPending(signal) {
      if (!stopped) throw new Error('runPending needs a notifier that is not started');
      stopped = false;
      const aborted = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      try {
        await relayStep();
        // Each finished message frees its subscription's next one once recorded: go on until a claim finds nothing.
        while (!signal.aborted) {
          await recorder.idle();
          worker.kick();
          await worker.idle();
          if (inFlight.size > 0) await Promise.race([...inFlight, aborted]);
          else if (unrecorded.length === 0) break;
        }
      } finally {
        await notifier.stop();
      }
    },
  };
  return notifier;
}
