import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import type { ReplicaInfo } from './backend.js';
import { clockOf, type EngineContext } from './context.js';
import { ReleaseCounters } from './measurements.js';

/**
 * Read-only requests the engine sends straight to a release's replicas when real traffic is too thin to judge
 * it. Each request is measured like the router measures user traffic, into the release's own counters, which
 * the analysis adds to what the router saw.
 */
export class SyntheticTraffic {
  readonly counters = new ReleaseCounters();
  sent = 0;
  private next = 0;

  constructor(
    private readonly upstreams: string[],
    private readonly path: string,
    private readonly headers: Record<string, string>,
    private readonly concurrency: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Sends `count` requests, `concurrency` at a time, round-robin over the replicas; none is started after `until` (epoch ms). */
  async send(count: number, until = Infinity): Promise<void> {
    let left = count;
    const worker = async () => {
      while (left > 0 && this.now() < until) {
        left -= 1;
        await this.one();
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, count) }, worker));
  }

  private async one(): Promise<void> {
    const upstream = this.upstreams[this.next++ % this.upstreams.length]!;
    const started = performance.now();
    let status = 599;
    try {
      const res = await request(new URL(this.path, upstream), { headers: this.headers, headersTimeout: 10_000, bodyTimeout: 10_000 });
      status = res.statusCode;
      await res.body.dump();
    } catch {
      // a refused or broken connection is an error the candidate caused
    }
    this.sent += 1;
    this.counters.observe(status, (performance.now() - started) / 1000, false);
  }
}

/** Synthetic traffic to a candidate and to the release it is compared with (if any). */
export interface SyntheticPair {
  candidate: SyntheticTraffic;
  baseline: SyntheticTraffic | null;
}

/** Synthetic reads (analysis.synthetic) to these replicas; null when they are switched off or there are none. */
export function syntheticTrafficTo(ctx: EngineContext, replicas: ReplicaInfo[]): SyntheticTraffic | null {
  const s = ctx.loaded.config.analysis.synthetic;
  if (s === false || replicas.length === 0) return null;
  const clock = clockOf(ctx);
  const token = s.token ? ctx.smokeSecrets()[s.token] : undefined;
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  return new SyntheticTraffic(
    replicas.map((r) => r.url!),
    s.path,
    headers,
    s.concurrency,
    () => clock.now(),
  );
}
