import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Every Prometheus metric of the process, on a registry of its own (not prom-client's global one). */
export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route'>;
  scans: Counter<'scanner' | 'outcome'>;
  imageScans: Counter<'scanner' | 'status'>;
  scanDuration: Histogram<'scanner'>;
  findings: Gauge<'severity'>;
  scansInFlight: Gauge;
  advisoryAge: Gauge<'source'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Counter({
      name: 'ecrscan_http_requests_total',
      help: 'HTTP requests answered, by route and status.',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'ecrscan_http_request_duration_seconds',
      help: 'Time to answer HTTP requests.',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    scans: new Counter({
      name: 'ecrscan_scans_total',
      help: 'Configuration scans finished, by scanner and outcome (COMPLETE, PARTIAL, FAILED).',
      labelNames: ['scanner', 'outcome'],
      registers: [registry],
    }),
    imageScans: new Counter({
      name: 'ecrscan_image_scans_total',
      help: 'Image scans finished, by scanner and image status.',
      labelNames: ['scanner', 'status'],
      registers: [registry],
    }),
    scanDuration: new Histogram({
      name: 'ecrscan_scan_duration_seconds',
      help: 'Time to scan one configuration.',
      labelNames: ['scanner'],
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
      registers: [registry],
    }),
    findings: new Gauge({
      name: 'ecrscan_open_findings',
      help: 'Open findings across all configurations, by severity.',
      labelNames: ['severity'],
      registers: [registry],
    }),
    scansInFlight: new Gauge({ name: 'ecrscan_scans_in_flight', help: 'Images being scanned now.', registers: [registry] }),
    advisoryAge: new Gauge({
      name: 'ecrscan_advisory_data_age_seconds',
      help: 'Time since each advisory source was last imported (or found unchanged), for sources imported at least once.',
      labelNames: ['source'],
      registers: [registry],
    }),
  };
}
