import { HTTP_DURATION_BUCKETS } from '@slipway/runtime';

// What the engine measures of a release, in the terms every measurement source reports in: the local router's
// counters, the engine's own synthetic traffic, and (on Kubernetes) Prometheus queries.

/** Upper bounds (seconds) of the latency histogram buckets; a final `+Inf` bucket is implied. The services' own. */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = HTTP_DURATION_BUCKETS;

export type StatusClass = '2xx' | '3xx' | '4xx' | '5xx';

export interface LatencyHistogram {
  /** Cumulative counts, Prometheus-style: `count` is the number of observations `<= le`. The last bucket has `le: Infinity`. */
  buckets: { le: number; count: number }[];
  /** Sum of all observations, in seconds. */
  sum: number;
  /** Number of observations (equals the `+Inf` bucket and the sum of `statusClasses`). */
  count: number;
}

export interface ReleaseMetrics {
  /** Requests answered for this release (every status class, proxy errors included). */
  requests: number;
  /** Answered requests by status class of the response the client received. */
  statusClasses: Record<StatusClass, number>;
  /**
   * Failures produced by the router on behalf of this release, already included in `statusClasses['5xx']`:
   * 502 (upstream failed after the request reached it, or broke the response mid-body) and 503 (no upstream available).
   */
  proxyErrors: number;
  /** Connection attempts to this release's upstreams that were refused (each one ejected the upstream; the request was retried). */
  connectFailures: number;
  /** Requests whose client went away before the response finished; not counted in `requests` nor in the histogram. */
  clientAborts: number;
  /** Requests currently being proxied to this release. */
  inFlight: number;
  /** Time from the request arriving at the router to the end of its response, in seconds. */
  latency: LatencyHistogram;
}

/** Mutable per-release counters. Observations are O(buckets); snapshots are cheap. */
export class ReleaseCounters {
  private readonly classes: Record<StatusClass, number> = { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
  /** Non-cumulative; index `LATENCY_BUCKETS_SECONDS.length` is the `+Inf` bucket. */
  private readonly bucketCounts = new Array<number>(LATENCY_BUCKETS_SECONDS.length + 1).fill(0);
  private sum = 0;
  private count = 0;
  proxyErrors = 0;
  connectFailures = 0;
  clientAborts = 0;
  inFlight = 0;

  observe(status: number, seconds: number, proxyError: boolean): void {
    this.classes[statusClass(status)] += 1;
    if (proxyError) this.proxyErrors += 1;
    let i = 0;
    while (i < LATENCY_BUCKETS_SECONDS.length && seconds > (LATENCY_BUCKETS_SECONDS[i] ?? Infinity)) i += 1;
    this.bucketCounts[i] = (this.bucketCounts[i] ?? 0) + 1;
    this.sum += seconds;
    this.count += 1;
  }

  snapshot(): ReleaseMetrics {
    let cumulative = 0;
    const buckets = this.bucketCounts.map((n, i) => {
      cumulative += n;
      return { le: LATENCY_BUCKETS_SECONDS[i] ?? Infinity, count: cumulative };
    });
    return {
      requests: this.count,
      statusClasses: { ...this.classes },
      proxyErrors: this.proxyErrors,
      connectFailures: this.connectFailures,
      clientAborts: this.clientAborts,
      inFlight: this.inFlight,
      latency: { buckets, sum: this.sum, count: this.count },
    };
  }
}

function statusClass(status: number): StatusClass {
  if (status < 300) return '2xx';
  if (status < 400) return '3xx';
  if (status < 500) return '4xx';
  return '5xx';
}
