import type { MetricsSource, ServedBy } from '../engine/cluster.js';
import type { ReleaseMetrics } from '../engine/measurements.js';

// What a version served, read from Prometheus' HTTP API (`/api/v1/query` at the window's end) in the shape the
// single-machine analysis takes from its router: requests by status class and a latency histogram. The metric names
// are the runtime kit's, the ones the chart's AnalysisTemplate queries too.

const REQUESTS = 'http_requests_total';
const DURATION = 'http_request_duration_seconds';

interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

export class PrometheusError extends Error {
  override readonly name = 'PrometheusError';
}

export class PrometheusMetrics implements MetricsSource {
  constructor(
    private readonly address: string,
    /** PromQL label matchers of the routed service's user requests, e.g. `service="streams-api", route!~"/health/.*"`. */
    private readonly selector: string,
    /**
     * Shortest range of an increase(): four scrape intervals, so each series has samples in it (a window shorter than
     * that reaches back before its start; the version matcher keeps other versions out).
     */
    private readonly minRangeMs: number,
  ) {}

  /** The selector's matchers, the version's, and any others given. */
  private matchers(by: ServedBy, labels: Record<string, string> = {}): string {
    const version = `version${by.others ? '!=' : '='}${JSON.stringify(by.version)}`;
    const extra = Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
    return [this.selector.trim(), version, ...extra].filter(Boolean).join(', ');
  }

  private range(by: ServedBy): string {
    return `${Math.ceil(Math.max(by.toMs - by.fromMs, this.minRangeMs) / 1000)}s`;
  }

  async counterIncrease(metric: string, labels: Record<string, string>, by: ServedBy): Promise<number | null> {
    const [sum] = await this.query(`sum(increase(${metric}{${this.matchers(by, labels)}}[${this.range(by)}]))`, by.toMs);
    return sum === undefined ? null : Number(sum.value[1]);
  }

  /** An instant query evaluated at `atMs`. */
  async query(expr: string, atMs: number): Promise<VectorSample[]> {
    const url = new URL('/api/v1/query', this.address);
    const body = new URLSearchParams({ query: expr, time: (atMs / 1000).toFixed(3) });
    let response: Response;
    try {
      response = await fetch(url, { method: 'POST', body, signal: AbortSignal.timeout(15_000) });
    } catch (err) {
      throw new PrometheusError(`Prometheus at ${this.address} did not answer: ${(err as Error).message}`);
    }
    const answer = (await response.json().catch(() => null)) as {
      status?: string;
      error?: string;
      data?: { resultType: string; result: VectorSample[] };
    } | null;
    if (!answer || answer.status !== 'success' || answer.data?.resultType !== 'vector')
      throw new PrometheusError(`Prometheus refused ${expr}: ${answer?.error ?? `HTTP ${response.status}`}`);
    return answer.data.result;
  }

  async served(by: ServedBy): Promise<ReleaseMetrics> {
    const matchers = this.matchers(by);
    const range = this.range(by);
    const increase = (metric: string, group: string) => `sum by (${group}) (increase(${metric}{${matchers}}[${range}]))`;
    const [byStatus, buckets, sums] = await Promise.all([
      this.query(increase(REQUESTS, 'status'), by.toMs),
      this.query(increase(`${DURATION}_bucket`, 'le'), by.toMs),
      this.query(`sum(increase(${DURATION}_sum{${matchers}}[${range}]))`, by.toMs),
    ]);
    const metrics = emptyWindow();
    for (const s of byStatus) {
      const n = Number(s.value[1]);
      const statusClass = `${(s.metric.status ?? '')[0]}xx`;
      metrics.requests += n;
      if (statusClass in metrics.statusClasses) metrics.statusClasses[statusClass as keyof ReleaseMetrics['statusClasses']] += n;
    }
    metrics.latency.buckets = buckets
      .map((b) => ({ le: b.metric.le === '+Inf' ? Infinity : Number(b.metric.le), count: Number(b.value[1]) }))
      .sort((a, b) => a.le - b.le);
    metrics.latency.count = metrics.latency.buckets.at(-1)?.count ?? 0;
    metrics.latency.sum = Number(sums[0]?.value[1] ?? 0);
    return metrics;
  }
}

/** No requests, and no histogram buckets yet: they come from Prometheus' `le` labels (engine's emptyMetrics has the router's). */
function emptyWindow(): ReleaseMetrics {
  return {
    requests: 0,
    statusClasses: { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 },
    proxyErrors: 0,
    connectFailures: 0,
    clientAborts: 0,
    inFlight: 0,
    latency: { buckets: [], sum: 0, count: 0 },
  };
}
