import type { Pool } from 'undici';
import { RELEASE_ID } from '../engine/release-id.js';

export interface RouteTarget {
  /** Release name; also the sticky cookie value and the `x-slipway-release` header value. Letters, digits, `.`, `_`, `-`. */
  release: string;
  /** Relative weight (finite, >= 0). 0 = no new traffic. */
  weight: number;
  /** Upstream base URLs (origin only), e.g. `http://127.0.0.1:4001`. An origin may appear in at most one release. */
  upstreams: string[];
}

export interface Upstream {
  origin: string;
  release: string;
  pool: Pool;
  inFlight: number;
  ejectedUntil: number;
}

export interface Release {
  name: string;
  weight: number;
  upstreams: Upstream[];
  next: number;
}

/**
 * The routing table: releases by weight and their upstreams. `replace` swaps it in one step; `choose` and `pick`
 * answer "which release" and "which upstream" for one request.
 */
export class RoutingTable {
  private releases: Release[] = [];
  /** The releases with weight > 0: those that may take new traffic. */
  private live: Release[] = [];
  private readonly upstreams = new Map<string, Upstream>();
  /** Origins whose process fails its readiness probe (or is being restarted): passed over while others are ready. */
  private readonly unready = new Set<string>();

  constructor(private readonly createPool: (origin: string) => Pool) {}

  /** Replaces the table; returns the upstreams that left it (to be drained). Throws on an invalid table, changing nothing. */
  replace(targets: RouteTarget[]): Upstream[] {
    const origins = validate(targets);
    const next: Release[] = targets.map((t, i) => ({
      name: t.release,
      weight: t.weight,
      upstreams: (origins[i] ?? []).map((origin) => this.upstreamFor(origin, t.release)),
      next: 0,
    }));
    const listed = new Set(origins.flat());
    const removed = [...this.upstreams.values()].filter((u) => !listed.has(u.origin));
    for (const u of removed) this.upstreams.delete(u.origin);
    this.releases = next;
    this.live = next.filter((r) => r.weight > 0);
    return removed;
  }

  /** Empties the table; returns every upstream it held. */
  clear(): Upstream[] {
    const all = [...this.upstreams.values()];
    this.upstreams.clear();
    this.releases = [];
    this.live = [];
    return all;
  }

  setReady(origin: string, ready: boolean): void {
    if (ready) this.unready.delete(origin);
    else this.unready.add(origin);
  }

  isLive(release: string): boolean {
    return this.live.some((r) => r.name === release);
  }

  liveRelease(name: string | undefined): Release | undefined {
    return name === undefined ? undefined : this.live.find((r) => r.name === name);
  }

  /** The sticky release while it is live, else a weighted pick among live releases. */
  choose(sticky: string | undefined): { release: Release | undefined; stuck: boolean } {
    const stuckTo = this.liveRelease(sticky);
    return stuckTo ? { release: stuckTo, stuck: true } : { release: weightedPick(this.live), stuck: false };
  }

  /**
   * Round-robin over the preferred release's usable upstreams, else a weighted pick among other live releases.
   * Ready upstreams first; only when none is left, any that is not ejected (an unready replica may still answer,
   * and its answer says more than a 503 from the router).
   */
  pick(preferred: Release | undefined, tried: ReadonlySet<Upstream>): Upstream | undefined {
    const now = Date.now();
    for (const readyOnly of [true, false]) {
      const usable = (u: Upstream) => !tried.has(u) && u.ejectedUntil <= now && (!readyOnly || !this.unready.has(u.origin));
      const u = preferred && roundRobin(preferred, usable);
      if (u) return u;
      const fallback = weightedPick(this.live.filter((r) => r !== preferred && r.upstreams.some(usable)));
      if (fallback) return roundRobin(fallback, usable);
    }
    return undefined;
  }

  private upstreamFor(origin: string, release: string): Upstream {
    let upstream = this.upstreams.get(origin);
    if (!upstream) {
      upstream = { origin, release, pool: this.createPool(origin), inFlight: 0, ejectedUntil: 0 };
      this.upstreams.set(origin, upstream);
    }
    upstream.release = release;
    return upstream;
  }
}

/** Checks a table and returns each target's upstream origins. */
function validate(targets: RouteTarget[]): string[][] {
  const seenReleases = new Set<string>();
  const seenOrigins = new Map<string, string>();
  const origins = targets.map((t) => t.upstreams.map(toOrigin));
  for (const [i, t] of targets.entries()) {
    if (!RELEASE_ID.test(t.release)) throw new Error(`invalid release name: ${JSON.stringify(t.release)}`);
    if (seenReleases.has(t.release)) throw new Error(`release listed twice: ${t.release}`);
    seenReleases.add(t.release);
    if (!Number.isFinite(t.weight) || t.weight < 0) throw new Error(`invalid weight for ${t.release}: ${t.weight}`);
    for (const origin of origins[i] ?? []) {
      if (seenOrigins.has(origin)) throw new Error(`upstream ${origin} listed twice (${seenOrigins.get(origin)}, ${t.release})`);
      seenOrigins.set(origin, t.release);
    }
  }
  return origins;
}

function roundRobin(release: Release, usable: (u: Upstream) => boolean): Upstream | undefined {
  const n = release.upstreams.length;
  for (let i = 0; i < n; i += 1) {
    const u = release.upstreams[(release.next + i) % n] as Upstream;
    if (usable(u)) {
      release.next = (release.next + i + 1) % n;
      return u;
    }
  }
  return undefined;
}

function weightedPick(releases: Release[]): Release | undefined {
  const total = releases.reduce((s, r) => s + r.weight, 0);
  if (total <= 0) return undefined;
  let x = Math.random() * total;
  for (const r of releases) {
    x -= r.weight;
    if (x < 0) return r;
  }
  return releases[releases.length - 1];
}

export function toOrigin(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`invalid upstream URL: ${raw}`);
  }
  if (url.protocol !== 'http:') throw new Error(`upstream must be http:// (got ${raw})`);
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password) {
    throw new Error(`upstream must be a bare origin such as http://127.0.0.1:4001 (got ${raw})`);
  }
  return url.origin;
}
