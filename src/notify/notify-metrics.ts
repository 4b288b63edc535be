import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface NotifyMetrics {
  deliveries: Counter<'format' | 'outcome'>;
  /** From the newest event a message carries to its delivery. */
  latency: Histogram;
}

/**
 * The webhook metrics, on the process's registry. The failing-subscriptions gauge is read
 * from the database when scraped, so every process shows it, whichever delivers.
 */
export function createNotifyMetrics(registry: Registry, countFailing: () => Promise<number>): NotifyMetrics {
  new Gauge({
    name: 'ecrscan_webhook_subscriptions_failing',
    help: 'Subscriptions marked failing after repeated failed deliveries.',
    registers: [registry],
    async collect() {
      this.set(await countFailing());
    },
  });
  return {
    deliveries: new Counter({
      name: 'ecrscan_webhook_attempts_total',
      help: 'Webhook delivery attempts, by format and outcome (delivered, retry, failed).',
      labelNames: ['format', 'outcome'],
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'ecrscan_webhook_event_to_delivered_seconds',
      help: 'Time from the commit of the newest event a message carries to its delivery.',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 30, 300, 3600],
      registers: [registry],
    }),
  };
}
