import { TERMINAL_EVENTS, type AnalysisResult, type ReleaseEvent, type Verdict, type WindowFigures } from '../engine/events.js';
import { formatDuration } from '../format.js';
import { formatMs, formatRate, formatWeights, intervalFigures, weightPercents, type IntervalFigures } from './terminal.js';

type EventOf<T extends ReleaseEvent['type']> = Extract<ReleaseEvent, { type: T }>;
type Tone = 'ok' | 'fail' | 'warn' | 'info';

/** A self-contained page (inline CSS and SVG, no scripts) telling the story of one release from its events. */
export function renderReport(events: ReleaseEvent[]): string {
  if (events.length === 0) return page('Release report', '<header><h1>Release report</h1><p>No events were recorded.</p></header>');
  const summary = summarise(events);
  const body = [header(summary), timelineSection(summary), chartsSection(summary), analysesSection(summary)].join('\n');
  return page(`Release ${summary.release}`, body);
}

// ---- what happened ----

interface Outcome {
  kind: 'promoted' | 'rolled-back' | 'interrupted' | 'in-progress';
  label: string;
  detail: string | null;
}

interface Summary {
  events: ReleaseEvent[];
  release: string;
  started: EventOf<'deploy-started'> | undefined;
  stable: string | null;
  startMs: number;
  endMs: number;
  outcome: Outcome;
}

function summarise(events: ReleaseEvent[]): Summary {
  const started = first(events, 'deploy-started');
  const times = events.map((e) => Date.parse(e.at)).filter((t) => Number.isFinite(t));
  const startMs = started ? Date.parse(started.at) : Math.min(...times);
  const outcome = outcomeOf(events);
  // An `interrupted` event is written when the dead process is noticed, not when it died.
  const ending = outcome.kind === 'interrupted' ? events.filter((e) => e.type !== 'interrupted') : events;
  const endMs = Math.max(startMs, ...ending.map((e) => Date.parse(e.at)).filter((t) => Number.isFinite(t)));
  const release = started?.release ?? events[0]?.release ?? '';
  return { events, release, started, stable: started?.stable ?? null, startMs, endMs, outcome };
}

function outcomeOf(events: ReleaseEvent[]): Outcome {
  const end = events.findLast((e) => TERMINAL_EVENTS.has(e.type));
  if (end?.type === 'promoted') return { kind: 'promoted', label: 'Promoted', detail: null };
  if (end?.type === 'rolled-back') return { kind: 'rolled-back', label: 'Rolled back', detail: end.reason };
  const last = events.at(-1);
  if (last?.type === 'interrupted')
    return { kind: 'interrupted', label: 'Interrupted', detail: `slipway (pid ${last.pid}) stopped after “${last.lastEvent}”.` };
  return {
    kind: 'in-progress',
    label: 'In progress',
    detail: `No final event yet: the release is still running, or its process stopped without recording one (last event: “${last?.type}” at ${utc(last?.at ?? '')}).`,
  };
}

function first<T extends ReleaseEvent['type']>(events: ReleaseEvent[], type: T): EventOf<T> | undefined {
  return events.find((e): e is EventOf<T> => e.type === type);
}

function header(s: Summary): string {
  const build = first(s.events, 'build-finished');
  const duration = formatDuration(s.endMs - s.startMs) + (s.outcome.kind === 'in-progress' ? ' so far' : '');
  const promoted = first(s.events, 'promoted');
  const stable = promoted?.previous ?? s.stable;
  const facts: [string, string][] = [
    ['Strategy', s.started?.strategy ?? 'unknown'],
    ['Started', utc(s.started?.at ?? s.events[0]?.at ?? '')],
    ['Duration', duration],
    [s.outcome.kind === 'promoted' ? 'Replaced' : 'Stable release', stable ?? 'none (first release)'],
  ];
  if (build)
    facts.push([
      'Build',
      build.sha === null ? 'not a git checkout' : `${build.sha.slice(0, 12)}${build.dirty ? ' (uncommitted changes)' : ''}`,
    ]);
  const detail = s.outcome.detail === null ? '' : `<p class="outcome-detail">${esc(s.outcome.detail)}</p>`;
  return `<header>
<p class="eyebrow">Slipway release report</p>
<h1>${esc(s.release)} <span class="badge ${s.outcome.kind}">${esc(s.outcome.label)}</span></h1>
${detail}
<dl class="facts">${facts.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join('')}</dl>
</header>`;
}

// ---- timeline ----

interface TimelineItem {
  tone: Tone;
  title: string;
  details: string[];
  link?: string;
}

function timelineSection(s: Summary): string {
  let pausedAt: number | undefined;
  let analyses = 0;
  const items: string[] = [];
  for (const event of s.events) {
    const at = Date.parse(event.at);
    let item: TimelineItem | null;
    if (event.type === 'analysis') {
      analyses += 1;
      item = analysisItem(event, `analysis-${analyses}`);
    } else if (event.type === 'decision') {
      const waited = pausedAt === undefined ? '' : ` after ${formatDuration(at - pausedAt)}`;
      item = {
        tone: 'info',
        title: `Decision: ${event.action}`,
        details: [`${event.by === 'person' ? 'By a person' : 'The pause timed out'}${waited}`],
      };
    } else {
      item = timelineItem(event, s.release);
    }
    if (event.type === 'paused') pausedAt = at;
    if (item === null) continue;
    const details = item.details.length > 0 ? `<ul>${item.details.map((d) => `<li>${esc(d)}</li>`).join('')}</ul>` : '';
    const link = item.link ? ` <a href="#${item.link}">details</a>` : '';
    items.push(
      `<li class="${item.tone}"><time datetime="${esc(event.at)}" title="${esc(utc(event.at))}">${clockOffset(at - s.startMs)}</time>` +
        `<span class="mark" aria-hidden="true">${MARKS[item.tone]}</span><div><strong>${esc(item.title)}</strong>${link}${details}</div></li>`,
    );
  }
  return `<section><h2>Timeline</h2><ol class="timeline">${items.join('\n')}</ol></section>`;
}

const MARKS: Record<Tone, string> = { ok: '✔', fail: '✖', warn: '⚠', info: '•' };

function timelineItem(event: ReleaseEvent, candidate: string): TimelineItem | null {
  switch (event.type) {
    case 'deploy-started': {
      const details = [event.stable === null ? 'First release: nothing to replace' : `Replacing ${event.stable}`];
      if (event.overrides.length > 0) details.push(`Overrides: ${event.overrides.join(', ')}`);
      return { tone: 'info', title: `Deploy started (${event.strategy})`, details };
    }
    case 'build-finished': {
      const commit = event.sha === null ? 'Not a git checkout' : `Commit ${event.sha}${event.dirty ? ', with uncommitted changes' : ''}`;
      const deps = event.dependencies
        ? [`${event.dependencies.packages} production dependencies from package-lock.json (snapshot ${event.dependencies.snapshot})`]
        : [];
      return { tone: 'ok', title: `Built (${formatDuration(event.durationMs)})`, details: [commit, event.dir, ...deps] };
    }
    case 'migrations-checked': {
      const details = [
        event.pending.length === 0 ? 'No pending migrations' : `Pending: ${event.pending.join(', ')}`,
        ...event.refused.map((r) => `Refused: ${r}`),
        ...event.warnings.map((w) => `Warning: ${w}`),
      ];
      if (event.allowedContract.length > 0) details.push(`Contract phase allowed: ${event.allowedContract.join(', ')}`);
      const tone = event.refused.length > 0 ? 'fail' : event.warnings.length > 0 ? 'warn' : 'ok';
      return { tone, title: event.refused.length > 0 ? 'Migrations refused' : 'Migrations checked', details };
    }
    case 'restore-point-created':
      return {
        tone: 'ok',
        title: 'Restore point created',
        details: [event.lsn === null ? event.name : `${event.name} at LSN ${event.lsn}`],
      };
    case 'migrations-applied':
      return { tone: 'ok', title: `Migrations applied (${formatDuration(event.durationMs)})`, details: event.applied };
    case 'candidate-starting':
      return {
        tone: 'info',
        title: `Starting candidate (${event.replicas} ${event.replicas === 1 ? 'replica' : 'replicas'})`,
        details: [],
      };
    case 'candidate-ready':
      return { tone: 'ok', title: `Candidate ready (${formatDuration(event.durationMs)})`, details: event.upstreams };
    case 'candidate-warmed':
      return {
        tone: 'ok',
        title: `Candidate warmed (${formatDuration(event.durationMs)})`,
        details: [`${event.requests} uncounted read requests`],
      };
    case 'smoke-finished': {
      const counts = `${event.passed} passed, ${event.failed} failed, ${event.skipped} skipped`;
      const title = `Smoke suite ${event.failed === 0 ? 'passed' : 'failed'} (${formatDuration(event.durationMs)})`;
      return { tone: event.failed === 0 ? 'ok' : 'fail', title, details: event.failure === null ? [counts] : [event.failure, counts] };
    }
    case 'step-started':
      return {
        tone: 'info',
        title: `Step ${event.step}/${event.steps}: ${formatWeights(event.weights, candidate)}`,
        details: [`Hold ${formatDuration(event.holdMs)}`],
      };
    case 'synthetic-traffic':
      return { tone: 'info', title: `Synthetic traffic: ${event.requests} requests (step ${event.step})`, details: [event.reason] };
    case 'paused':
      return {
        tone: 'warn',
        title: `Paused at step ${event.step}`,
        details: [event.reason, `Waiting for a person until ${utc(event.timeoutAt)}`],
      };
    case 'weights-changed':
      return { tone: 'info', title: `Traffic: ${formatWeights(event.weights, candidate)}`, details: [] };
    case 'promoted':
      return {
        tone: 'ok',
        title: `Promoted (${formatDuration(event.durationMs)})`,
        details: [event.previous === null ? 'First release' : `Replacing ${event.previous}`],
      };
    case 'rolled-back':
      return {
        tone: 'fail',
        title: `Rolled back (${formatDuration(event.durationMs)})`,
        details: [event.reason, event.to === null ? 'No previous release to return to' : `Traffic back on ${event.to}`],
      };
    case 'interrupted':
      return { tone: 'warn', title: 'Interrupted', details: [`slipway (pid ${event.pid}) stopped after “${event.lastEvent}”`] };
    case 'log':
      return { tone: event.level === 'warn' ? 'warn' : 'info', title: event.message, details: [] };
    case 'metrics': // charted
    case 'analysis': // told by the caller, which numbers them and knows the pause a decision ends
    case 'decision':
      return null;
    default:
      return unknownEvent(event);
  }
}

/**
 * Every event type has its case above: a new one fails type-checking here until it does. At run time an event from a
 * newer Slipway (events files outlive versions) is still shown, by its type.
 */
function unknownEvent(event: never): TimelineItem {
  const { type } = event as { type: unknown };
  return { tone: 'info', title: String(type), details: [] };
}

function analysisItem(event: EventOf<'analysis'>, link: string): TimelineItem {
  const word = { pass: 'passed', fail: 'failed', inconclusive: 'inconclusive' }[event.result.verdict];
  const when = event.step === 0 ? 'warm-up, before user traffic' : `step ${event.step}`;
  return { tone: VERDICT_TONE[event.result.verdict], title: `Analysis ${word} (${when})`, details: [event.result.reason], link };
}

const VERDICT_TONE: Record<Verdict, Tone> = { pass: 'ok', fail: 'fail', inconclusive: 'warn' };

// ---- charts ----

interface Point {
  t: number; // seconds since deploy start
  v: number;
}
interface Line {
  release: string;
  runs: Point[][]; // broken where there is no data
  dots: { point: Point; label: string }[];
}
interface Chart {
  key: string;
  title: string;
  yMax: number;
  yTicks: number[];
  yLabel: (v: number) => string;
  lines: Line[];
}
interface Marker {
  t: number;
  verdict: Verdict;
  label: string;
}

function chartsSection(s: Summary): string {
  const seconds = (at: string) => Math.max(0, (Date.parse(at) - s.startMs) / 1000);
  const xMax = Math.max(1, (s.endMs - s.startMs) / 1000);
  const weights = weightLines(s, seconds, xMax);
  const intervals = metricIntervals(s.events, seconds);
  if (!weights.some((line) => line.release === s.release) && !intervals.has(s.release)) {
    const text =
      s.outcome.kind === 'rolled-back'
        ? `${s.release} never received traffic: it was rolled back before the first traffic step (${s.outcome.detail}).`
        : s.outcome.kind === 'in-progress'
          ? `${s.release} has not received traffic yet.`
          : `${s.release} never received traffic.`;
    return `<section><h2>Traffic</h2><p class="empty">${esc(text)} There is nothing to chart.</p></section>`;
  }
  const styles = releaseStyles(s, [...weights.map((l) => l.release), ...intervals.keys()]);
  const markers: Marker[] = s.events
    .filter((e): e is EventOf<'analysis'> => e.type === 'analysis')
    .map((e) => ({
      t: seconds(e.at),
      verdict: e.result.verdict,
      label: `${e.step === 0 ? 'Warm-up' : `Step ${e.step}`} analysis: ${e.result.verdict} — ${e.result.reason}`,
    }));

  const weightChart: Chart = {
    key: 'weights',
    title: 'Traffic weight',
    yMax: 100,
    yTicks: [0, 25, 50, 75, 100],
    yLabel: (v) => `${v}%`,
    lines: weights,
  };
  const draw = (chart: Chart) => renderChart(chart, xMax, markers, styles);
  const charts = [draw(weightChart)];
  if (intervals.size === 0) {
    const samples = s.events.filter((e) => e.type === 'metrics').length;
    const why =
      samples === 0
        ? 'No metrics samples were recorded'
        : samples === 1
          ? 'Only one metrics sample was recorded; rates need two'
          : 'No release answered requests between metrics samples';
    charts.push(`<p class="empty">${why}, so there are no error-rate or latency charts.</p>`);
  } else {
    const errors = metricLines(
      intervals,
      (f) => f.errorRate,
      (f) => `${formatRate(f.errorRate ?? 0)} errors (${f.errors} of ${f.requests})`,
    );
    const latency = metricLines(
      intervals,
      (f) => f.p95Ms,
      (f) => `p95 ${formatMs(f.p95Ms ?? 0)} (${f.requests} requests)`,
    );
    const errorChart = valueChart('error-rate', 'Error rate (5xx)', errors, 0.01, formatRate);
    const latencyChart = valueChart('latency-p95', 'p95 latency', latency, 10, (v) => `${round(v)} ms`);
    charts.push(draw(errorChart), draw(latencyChart));
  }
  return `<section><h2>Traffic and health</h2>
<p class="note">Per interval between metrics samples; x axis is time since the deploy started (m:ss). Vertical lines mark analyses: ✓ pass, ✗ fail, ? inconclusive.</p>
${charts.join('\n')}</section>`;
}

/** Step-shaped weight % per release, from step and weight events and the weights each sample saw. */
function weightLines(s: Summary, seconds: (at: string) => number, xMax: number): Line[] {
  const tables: { t: number; percents: Record<string, number> }[] = [];
  let t = 0;
  for (const e of s.events) {
    const weights = e.type === 'step-started' || e.type === 'weights-changed' ? e.weights : e.type === 'metrics' ? e.sample.weights : null;
    if (weights === null) continue;
    t = Math.max(t, seconds(e.at)); // events are in order; keep the line from going backwards on clock skew
    tables.push({ t, percents: weightPercents(weights) });
  }
  const ids = [...new Set(tables.flatMap((table) => Object.keys(table.percents)))];
  return ids.flatMap((release) => {
    const points: Point[] = [];
    let value: number | undefined;
    for (const table of tables) {
      const v = table.percents[release] ?? 0;
      if (value === undefined) points.push({ t: table.t, v });
      else if (v !== value) points.push({ t: table.t, v: value }, { t: table.t, v });
      value = v;
    }
    if (value !== undefined) points.push({ t: xMax, v: value });
    return points.some((p) => p.v > 0) ? [{ release, runs: [points], dots: [] }] : [];
  });
}

interface Interval {
  from: number;
  to: number;
  figures: IntervalFigures;
}

/** Per release, what happened between each pair of consecutive metrics samples. */
function metricIntervals(events: ReleaseEvent[], seconds: (at: string) => number): Map<string, Interval[]> {
  const byRelease = new Map<string, Interval[]>();
  let previous: EventOf<'metrics'> | undefined;
  for (const e of events) {
    if (e.type !== 'metrics') continue;
    if (previous) {
      for (const release of Object.keys(e.sample.releases)) {
        const figures = intervalFigures(e.sample.releases[release], previous.sample.releases[release]);
        const list = byRelease.get(release) ?? [];
        list.push({ from: seconds(previous.at), to: seconds(e.at), figures });
        byRelease.set(release, list);
      }
    }
    previous = e;
  }
  // Releases that only sit in the router's counters (older ones) have nothing to show.
  for (const [release, list] of byRelease) if (!list.some((i) => i.figures.requests > 0)) byRelease.delete(release);
  return byRelease;
}

function metricLines(
  intervals: Map<string, Interval[]>,
  value: (f: IntervalFigures) => number | null,
  describe: (f: IntervalFigures) => string,
): Line[] {
  return [...intervals].map(([release, list]) => {
    const runs: Point[][] = [[]];
    const dots: Line['dots'] = [];
    for (const interval of list) {
      const v = value(interval.figures);
      if (v === null) {
        if (runs.at(-1)!.length > 0) runs.push([]);
        continue;
      }
      // Step-shaped: the figure holds for the whole interval, so a line between samples would invent values.
      const run = runs.at(-1)!;
      const last = run.at(-1);
      if (last?.t !== interval.from || last.v !== v) run.push({ t: interval.from, v });
      run.push({ t: interval.to, v });
      const span = `${clockOffset(interval.from * 1000)}–${clockOffset(interval.to * 1000)}`;
      dots.push({ point: { t: interval.to, v }, label: `${release}, ${span}: ${describe(interval.figures)}` });
    }
    return { release, runs: runs.filter((run) => run.length > 0), dots };
  });
}

function valueChart(key: string, title: string, lines: Line[], minMax: number, yLabel: (v: number) => string): Chart {
  const max = Math.max(minMax, ...lines.flatMap((l) => l.runs.flat().map((p) => p.v)));
  const step = niceStep(max / 4);
  const yMax = Math.ceil(max / step - 1e-9) * step;
  const yTicks = Array.from({ length: Math.round(yMax / step) + 1 }, (_, i) => i * step);
  return { key, title, yMax, yTicks, yLabel, lines };
}

function niceStep(raw: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const n = raw / magnitude;
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 2.5 ? 2.5 : n <= 5 ? 5 : 10) * magnitude;
}

const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400];

const WIDTH = 720;
const HEIGHT = 220;
const PLOT = { left: 56, right: WIDTH - 16, top: 22, bottom: HEIGHT - 34 };

interface ReleaseStyle {
  release: string;
  role: string | null;
  colour: string;
  dash: string;
  width: number;
}

// Blue for the candidate, grey dashed for the stable release: tells them apart without colour too.
const PALETTE = [
  { colour: '#0b5cad', dash: '', width: 2.5 },
  { colour: '#57606a', dash: '6 4', width: 2 },
  { colour: '#8250df', dash: '2 3', width: 2 },
  { colour: '#a0522d', dash: '8 3 2 3', width: 2 },
];
const VERDICT_COLOUR: Record<Verdict, string> = { pass: '#1a7f37', fail: '#cf222e', inconclusive: '#9a6700' };
const VERDICT_GLYPH: Record<Verdict, string> = { pass: '✓', fail: '✗', inconclusive: '?' };

function releaseStyles(s: Summary, seen: string[]): Map<string, ReleaseStyle> {
  const ids = [...new Set([s.release, ...(s.stable === null ? [] : [s.stable]), ...seen])];
  return new Map(
    ids.map((release, i) => {
      const role = release === s.release ? 'candidate' : release === s.stable ? 'stable' : null;
      return [release, { release, role, ...(PALETTE[i] ?? PALETTE[PALETTE.length - 1]!) }];
    }),
  );
}

function renderChart(chart: Chart, xMax: number, markers: Marker[], styles: Map<string, ReleaseStyle>): string {
  const x = (t: number) => PLOT.left + (t / xMax) * (PLOT.right - PLOT.left);
  const y = (v: number) => PLOT.bottom - (Math.min(v, chart.yMax) / chart.yMax) * (PLOT.bottom - PLOT.top);
  const xy = (p: Point) => `${n(x(p.t))},${n(y(p.v))}`;
  const parts: string[] = [
    `<title id="chart-${chart.key}-title">${esc(chart.title)} per release over time</title>`,
    `<rect class="plot" x="${PLOT.left}" y="${PLOT.top}" width="${PLOT.right - PLOT.left}" height="${PLOT.bottom - PLOT.top}"/>`,
  ];
  for (const v of chart.yTicks) {
    parts.push(`<line class="grid" x1="${PLOT.left}" x2="${PLOT.right}" y1="${n(y(v))}" y2="${n(y(v))}"/>`);
    parts.push(`<text x="${PLOT.left - 6}" y="${n(y(v) + 4)}" text-anchor="end">${esc(chart.yLabel(v))}</text>`);
  }
  const step = TIME_STEPS.find((s) => xMax / s <= 8) ?? niceStep(xMax / 6);
  for (let t = 0; t <= xMax + 1e-9; t += step)
    parts.push(`<text x="${n(x(t))}" y="${PLOT.bottom + 16}" text-anchor="middle">${clockOffset(t * 1000)}</text>`);
  parts.push(`<text x="${PLOT.right}" y="${HEIGHT - 2}" text-anchor="end">time since deploy start</text>`);
  for (const m of markers) {
    const colour = VERDICT_COLOUR[m.verdict];
    parts.push(
      `<g class="marker ${m.verdict}"><title>${esc(m.label)}</title>` +
        `<line x1="${n(x(m.t))}" x2="${n(x(m.t))}" y1="${PLOT.top}" y2="${PLOT.bottom}" stroke="${colour}" stroke-dasharray="3 3"/>` +
        `<text x="${n(x(m.t))}" y="${PLOT.top - 6}" text-anchor="middle" fill="${colour}">${VERDICT_GLYPH[m.verdict]}</text></g>`,
    );
  }
  const lines = [...chart.lines].sort((a, b) => position(styles, b.release) - position(styles, a.release)); // candidate drawn last, on top
  for (const line of lines) {
    const style = styles.get(line.release)!;
    const dash = style.dash ? ` stroke-dasharray="${style.dash}"` : '';
    for (const run of line.runs) {
      parts.push(
        `<polyline data-release="${esc(line.release)}" points="${run.map(xy).join(' ')}" fill="none" stroke="${style.colour}" stroke-width="${style.width}"${dash} stroke-linejoin="round"/>`,
      );
    }
    for (const dot of line.dots)
      parts.push(
        `<circle cx="${n(x(dot.point.t))}" cy="${n(y(dot.point.v))}" r="2.5" fill="${style.colour}"><title>${esc(dot.label)}</title></circle>`,
      );
  }
  const legend = chart.lines
    .map((l) => styles.get(l.release)!)
    .sort((a, b) => position(styles, a.release) - position(styles, b.release))
    .map((s) => {
      const swatch = `<span class="swatch" style="border-top: ${s.width + 0.5}px ${s.dash ? 'dashed' : 'solid'} ${s.colour}"></span>`;
      return `<li>${swatch}${esc(s.release)}${s.role ? ` <span class="role">(${s.role})</span>` : ''}</li>`;
    });
  return `<figure>
<figcaption>${esc(chart.title)}</figcaption>
<ul class="legend">${legend.join('')}</ul>
<svg class="chart" data-chart="${chart.key}" data-y-max="${chart.yMax}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="chart-${chart.key}-title" xmlns="http://www.w3.org/2000/svg">
${parts.join('\n')}
</svg>
</figure>`;
}

const position = (styles: Map<string, ReleaseStyle>, release: string) => [...styles.keys()].indexOf(release);
const n = (v: number) => String(Math.round(v * 10) / 10);
const round = (v: number) => String(Math.round(v * 1000) / 1000);

// ---- analyses ----

function analysesSection(s: Summary): string {
  const analyses = s.events.filter((e): e is EventOf<'analysis'> => e.type === 'analysis');
  if (analyses.length === 0) return '<section><h2>Analyses</h2><p class="empty">No analysis ran.</p></section>';
  const rows = analyses.map((e, i) => analysisRow(e, `analysis-${i + 1}`, clockOffset(Date.parse(e.at) - s.startMs)));
  return `<section><h2>Analyses</h2>
<table class="analyses">
<thead><tr><th>Step</th><th>Verdict</th><th>Checks</th><th>Candidate vs baseline</th><th>Burn rate</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table></section>`;
}

function analysisRow(e: EventOf<'analysis'>, id: string, offset: string): string {
  const r: AnalysisResult = e.result;
  const checks = r.checks
    .map(
      (c) =>
        `<li class="${VERDICT_TONE[c.verdict]}"><span class="mark">${VERDICT_GLYPH[c.verdict]}</span> <b>${esc(c.name)}</b>: ${esc(c.detail)}</li>`,
    )
    .join('');
  return `<tr id="${id}">
<td>${e.step === 0 ? 'warm-up' : e.step}<br><small>${offset}</small></td>
<td><span class="badge verdict-${r.verdict}">${r.verdict}</span><p class="reason">${esc(r.reason)}</p></td>
<td><ul class="checks">${checks}</ul></td>
<td>${figuresTable(r.candidate, r.baseline)}</td>
<td>${r.burnRate === null ? '–' : `${Number(r.burnRate.toPrecision(3))}×`}</td>
</tr>`;
}

function figuresTable(candidate: WindowFigures, baseline: WindowFigures | null): string {
  const rows: [string, (f: WindowFigures) => string][] = [
    ['requests', (f) => String(f.requests)],
    ['synthetic', (f) => (f.requests > 0 ? `${Math.round((f.synthetic / f.requests) * 100)}%` : '–')],
    ['error rate', (f) => (f.requests > 0 ? formatRate(f.errorRate) : '–')],
    ['p95', (f) => (f.p95Ms === null ? '–' : formatMs(f.p95Ms))],
    ['p99', (f) => (f.p99Ms === null ? '–' : formatMs(f.p99Ms))],
  ];
  const body = rows.map(
    ([name, show]) => `<tr><th>${name}</th><td>${show(candidate)}</td><td>${baseline ? show(baseline) : '–'}</td></tr>`,
  );
  return `<table class="figures"><thead><tr><th></th><th>candidate</th><th>baseline</th></tr></thead><tbody>${body.join('')}</tbody></table>`;
}

// ---- page ----

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const esc = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/** "2024-05-01 14:02:11 UTC": a report is shared, so it does not depend on the reader's time zone. */
export function utc(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Offset since the deploy started: "m:ss", or "h:mm:ss" past an hour. */
function clockOffset(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const [h, m, s] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A self-contained page around `body`, with the reports' style sheet (no scripts; a strict CSP). */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="color-scheme" content="light">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

const CSS = `
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --panel: #f6f8fa; --ok: #1a7f37; --fail: #cf222e; --warn: #9a6700; --info: #0b5cad; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: #fff; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 980px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 28px; margin: 0 0 8px; word-break: break-all; }
h2 { font-size: 19px; margin: 36px 0 12px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
.eyebrow { margin: 0; color: var(--muted); font-size: 13px; text-transform: uppercase; letter-spacing: .06em; }
.badge { display: inline-block; vertical-align: middle; padding: 2px 10px; border-radius: 999px; font-size: 14px; font-weight: 600; color: #fff; word-break: normal; }
.badge.promoted, .badge.verdict-pass { background: var(--ok); }
.badge.rolled-back, .badge.verdict-fail { background: var(--fail); }
.badge.interrupted, .badge.verdict-inconclusive { background: var(--warn); }
.badge.in-progress { background: var(--info); }
.outcome-detail { margin: 0 0 12px; font-size: 16px; }
.facts { display: flex; flex-wrap: wrap; gap: 8px 32px; margin: 12px 0 0; padding: 12px 16px; background: var(--panel); border-radius: 8px; }
.facts dt { color: var(--muted); font-size: 13px; }
.facts dd { margin: 0; font-weight: 600; }
.timeline { list-style: none; margin: 0; padding: 0; }
.timeline > li { display: grid; grid-template-columns: 64px 24px 1fr; padding: 6px 0; border-bottom: 1px solid var(--panel); }
.timeline time { color: var(--muted); font-variant-numeric: tabular-nums; }
.timeline ul { margin: 2px 0 0; padding-left: 18px; color: var(--muted); font-size: 14px; overflow-wrap: anywhere; }
.mark { font-weight: 700; }
.ok > .mark, .checks .ok .mark { color: var(--ok); }
.fail > .mark, .checks .fail .mark { color: var(--fail); }
.warn > .mark, .checks .warn .mark { color: var(--warn); }
.info > .mark { color: var(--info); }
.note, .empty { color: var(--muted); }
.empty { padding: 16px; background: var(--panel); border-radius: 8px; }
figure { margin: 16px 0 24px; }
figcaption { font-weight: 600; }
.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 20px; margin: 4px 0; padding: 0; font-size: 14px; }
.swatch { display: inline-block; width: 24px; margin-right: 6px; vertical-align: middle; }
.role { color: var(--muted); }
.chart { width: 100%; height: auto; display: block; }
.chart .plot { fill: #fff; stroke: var(--line); }
.chart .grid { stroke: #eaeef2; }
.chart text { font-size: 11px; fill: var(--muted); }
.chart .marker text { font-size: 13px; font-weight: 700; }
table { border-collapse: collapse; }
.analyses { width: 100%; font-size: 14px; }
.analyses > thead th { white-space: nowrap; text-align: left; color: var(--muted); font-weight: 600; border-bottom: 2px solid var(--line); padding: 6px 8px; }
.analyses > tbody > tr > td { vertical-align: top; border-bottom: 1px solid var(--line); padding: 8px; }
.reason { margin: 6px 0 0; overflow-wrap: anywhere; }
.checks { list-style: none; margin: 0; padding: 0; overflow-wrap: anywhere; }
.checks li { margin-bottom: 4px; }
.figures { font-size: 13px; font-variant-numeric: tabular-nums; }
.figures th, .figures td { padding: 1px 6px; text-align: right; white-space: nowrap; }
.figures tbody th { text-align: left; color: var(--muted); font-weight: normal; }
a { color: var(--info); }
@media print { h2 { break-after: avoid; } figure, tr { break-inside: avoid; } }
`;
