import { request } from 'undici';

// Business errors as the service itself counts them: counters read from each replica's Prometheus /metrics, the
// way the router's own counters are read, so the analysis needs no Prometheus server either.

export interface CounterSpec {
  /** The check's name, e.g. "refused requests". */
  name: string;
  metric: string;
  labels: Record<string, string>;
}

/** One counter on one release: replica name → the sum of its matching series; null when the replica does not expose the metric. */
export type CounterReadings = Record<string, number | null>;

/** One scrape of one release: check name → readings. */
export type ServiceCounters = Record<string, CounterReadings>;

/**
 * The sum of a counter's series that carry `labels`, from a Prometheus text exposition; null when the metric is
 * not there at all (neither a TYPE line nor a series), which is a misnamed metric or a release that dropped it.
 */
export function sumCounter(text: string, metric: string, labels: Record<string, string>): number | null {
  let found = false;
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      if (line.split(' ')[2] === metric) found = true;
      continue;
    }
    if (line.startsWith('#') || !line.startsWith(metric)) continue;
    const series = parseSeries(line);
    if (!series || series.name !== metric) continue;
    found = true;
    if (Object.entries(labels).every(([k, v]) => series.labels[k] === v)) sum += series.value;
  }
  return found ? sum : null;
}

const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function parseSeries(line: string): { name: string; labels: Record<string, string>; value: number } | null {
  const brace = line.indexOf('{');
  const space = line.indexOf(' ');
  const labels: Record<string, string> = {};
  let name: string;
  let rest: string;
  if (brace !== -1 && (space === -1 || brace < space)) {
    const close = line.lastIndexOf('}');
    if (close < brace) return null;
    name = line.slice(0, brace);
    for (const m of line.slice(brace + 1, close).matchAll(LABEL)) {
      labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    rest = line.slice(close + 1);
  } else {
    if (space === -1) return null;
    name = line.slice(0, space);
    rest = line.slice(space);
  }
  const value = Number(rest.trim().split(/\s+/)[0]);
  return Number.isFinite(value) ? { name, labels, value } : null;
}

/** Reads every counter from each replica; a replica whose /metrics cannot be read is left out of this scrape. */
export async function scrapeCounters(replicas: { name: string; metricsUrl: string }[], specs: CounterSpec[]): Promise<ServiceCounters> {
  const counters: ServiceCounters = Object.fromEntries(specs.map((s) => [s.name, {}]));
  await Promise.all(
    replicas.map(async (replica) => {
      let text: string;
      try {
        const res = await request(replica.metricsUrl, { headersTimeout: 2_000, bodyTimeout: 2_000 });
        text = await res.body.text();
        if (res.statusCode !== 200) return;
      } catch {
        return;
      }
      for (const spec of specs) counters[spec.name]![replica.name] = sumCounter(text, spec.metric, spec.labels);
    }),
  );
  return counters;
}

/**
 * How much a counter grew between two scrapes, summed over the replicas read both times. Like Prometheus'
 * `increase`, a replica whose counter went down restarted in between and counts from zero. `read`: some replica was
 * read both times; `exposed`: some replica read both times has the metric.
 */
export function counterIncrease(
  later: CounterReadings | undefined,
  earlier: CounterReadings | undefined,
): { count: number; read: boolean; exposed: boolean } {
  let count = 0;
  let read = false;
  let exposed = false;
  for (const [replica, value] of Object.entries(later ?? {})) {
    const before = earlier?.[replica];
    if (before === undefined) continue;
    read = true;
    if (value === null) continue;
    exposed = true;
    count += before === null || value < before ? value : value - before;
  }
  return { count, read, exposed };
}
