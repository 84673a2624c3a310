import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
export const DB_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

type HttpLabel = 'method' | 'route' | 'status';

export interface Metrics {
  /** This service's own registry (never prom-client's global one). */
  registry: Registry;
  /** http_requests_total */
  httpRequests: Counter<HttpLabel>;
  /** http_request_duration_seconds */
  httpDuration: Histogram<HttpLabel>;
  /** db_query_duration_seconds */
  dbQueryDuration: Histogram<'operation' | 'outcome'>;
  /** Registers (or returns the already registered) counter with this name. */
  counter<L extends string = string>(name: string, help: string, labelNames?: readonly L[]): Counter<L>;
  /**
   * Registers (or returns the already registered) gauge with this name. `collect`, if given, runs at every
   * scrape to set the gauge's value (a value read from elsewhere, such as a database count).
   */
  gauge<L extends string = string>(
    name: string,
    help: string,
    labelNames?: readonly L[],
    collect?: (gauge: Gauge<L>) => Promise<void> | void,
  ): Gauge<L>;
  /** Registers (or returns the already registered) histogram with this name. */
  histogram<L extends string = string>(name: string, help: string, labelNames?: readonly L[], buckets?: number[]): Histogram<L>;
}

export function createMetrics({ service, version }: { service: string; version: string }): Metrics {
  const registry = new Registry();
  // Default labels go on every series, so any graph can be split by release.
  registry.setDefaultLabels({ service, version });
  collectDefaultMetrics({ register: registry });
  relabelNodeVersionInfo(registry);

  function existing<T>(name: string, kind: abstract new (...args: never[]) => T): T | undefined {
    const metric = registry.getSingleMetric(name);
    if (metric === undefined) return undefined;
    if (metric instanceof kind) return metric;
    throw new Error(`metric ${name} is already registered with a different type`);
  }

  const counter: Metrics['counter'] = (name, help, labelNames = []) =>
    existing(name, Counter) ?? new Counter({ name, help, labelNames: [...labelNames], registers: [registry] });

  const gauge: Metrics['gauge'] = (name, help, labelNames = [], collect) =>
    existing(name, Gauge) ??
    new Gauge({
      name,
      help,
      labelNames: [...labelNames],
      registers: [registry],
      ...(collect
        ? {
            collect() {
              return collect(this);
            },
          }
        : {}),
    });

  const histogram: Metrics['histogram'] = (name, help, labelNames = [], buckets) =>
    existing(name, Histogram) ??
    new Histogram({
      name,
      help,
      labelNames: [...labelNames],
      registers: [registry],
      ...(buckets ? { buckets } : {}),
    });

  return {
    registry,
    counter,
    gauge,
    histogram,
    httpRequests: counter('http_requests_total', 'HTTP requests handled', ['method', 'route', 'status']),
    httpDuration: histogram(
      'http_request_duration_seconds',
      'Time from receiving an HTTP request to finishing its response',
      ['method', 'route', 'status'],
      HTTP_DURATION_BUCKETS,
    ),
    dbQueryDuration: histogram(
      'db_query_duration_seconds',
      'Database query duration, by SQL operation (or prepared statement name) and outcome',
      ['operation', 'outcome'],
      DB_DURATION_BUCKETS,
    ),
  };
}

// prom-client's nodejs_version_info has its own `version` label (the Node.js version), which
// would shadow the release version on that series. Same information, non-colliding label.
function relabelNodeVersionInfo(registry: Registry): void {
  registry.removeSingleMetric('nodejs_version_info');
  const [major, minor, patch] = process.versions.node.split('.');
  new Gauge({
    name: 'nodejs_version_info',
    help: 'Node.js version info.',
    labelNames: ['node_version', 'major', 'minor', 'patch'],
    registers: [registry],
  }).set({ node_version: process.version, major, minor, patch }, 1);
}
