import { intervalFigures } from '../../report/terminal.js';
import type { ReleaseMetrics } from '../../engine/measurements.js';

/** What one release served over the live window. */
export interface LiveFigures {
  requestsPerSecond: number;
  /** 5xx answers over all answers; null without requests. */
  errorRate: number | null;
  /** null without requests. */
  p95Ms: number | null;
  requests: number;
}

interface Sample {
  at: number;
  releases: Record<string, ReleaseMetrics>;
}

/**
 * Live request rate, error rate and p95 per release: the differences between the router's cumulative counters now
 * and about `windowMs` ago. Samples are taken when someone asks (the page polls), at most one per `minGapMs`.
 */
export class TrafficWindow {
  private samples: Sample[] = [];

  constructor(
    private readonly windowMs = 10_000,
    private readonly minGapMs = 900,
  ) {}

  /** Whether the newest sample is too old to answer with. */
  wantsSample(now: number): boolean {
    const newest = this.samples.at(-1);
    return !newest || now - newest.at >= this.minGapMs;
  }

  add(at: number, releases: Record<string, ReleaseMetrics>): void {
    // After a long time without anyone looking, start afresh rather than average over the gap.
    const newest = this.samples.at(-1);
    if (newest && at - newest.at > 3 * this.windowMs) this.samples = [];
    this.samples.push({ at, releases });
    // Keep the newest sample at least `windowMs` old, so the window stays full.
    while (this.samples.length > 2 && at - (this.samples[1]?.at ?? at) >= this.windowMs) this.samples.shift();
  }

  /** The span the figures cover, in ms; null until there are two samples. */
  spanMs(): number | null {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    return first && last && last.at > first.at ? last.at - first.at : null;
  }

  figures(release: string): LiveFigures | null {
    const span = this.spanMs();
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (span === null || !first || !last) return null;
    const f = intervalFigures(last.releases[release], first.releases[release]);
    return { requestsPerSecond: (f.requests * 1000) / span, errorRate: f.errorRate, p95Ms: f.p95Ms, requests: f.requests };
  }
}
