import type { MetricsSource } from '../engine/cluster.js';
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
  ) {}

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

  async served(version: string, others: boolean, fromMs: number, toMs: number): Promise<ReleaseMetrics> {
    const range = Math.ceil((toMs - fromMs) / 1000);
    const matchers = [this.selector.trim(), `version${others ? '!=' : '='}${JSON.stringify(version)}`].filter(Boolean).join(', ');
    const increase = (metric: string, by: string) => `sum by (${by}) (increase(${metric}{${matchers}}[${range}s]))`;
    if (range < 1) return emptyWindow();
    const [byStatus, buckets, sums] = await Promise.all([
      this.query(increase(REQUESTS, 'status'), toMs),
      this.query(increase(`${DURATION}_bucket`, 'le'), toMs),
      this.query(`sum(increase(${DURATION}_sum{${matchers}}[${range}s]))`, toMs),
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
