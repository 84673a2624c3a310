import { palette } from '../colour.js';
import { diffMetrics, windowFigures } from '../engine/analysis.js';
import { formatDuration, trimZero } from '../format.js';
import type { AnalysisResult, MetricsSample, ReleaseEvent, Weights } from '../engine/events.js';
import type { ReleaseMetrics } from '../engine/measurements.js';

// ---- figures between two cumulative samples (shared with html.ts) ----

/** What one release did between two cumulative metrics samples. */
export interface IntervalFigures {
  requests: number;
  /** 5xx answers, the router's own 502/503 included. */
  errors: number;
  /** null when there were no requests. */
  errorRate: number | null;
  p95Ms: number | null;
}

/** Subtracts `previous` from `current` (a release missing from a sample counts as zero; see diffMetrics for restarts). */
export function intervalFigures(current: ReleaseMetrics | undefined, previous: ReleaseMetrics | undefined): IntervalFigures {
  if (!current) return { requests: 0, errors: 0, errorRate: null, p95Ms: null };
  const { requests, errors, errorRate, p95Ms } = windowFigures(diffMetrics(current, previous), 0);
  return { requests, errors, errorRate: requests > 0 ? errorRate : null, p95Ms };
}

/** Weights as shares of the routing table, in percent (weights are relative). */
export function weightPercents(weights: Weights): Record<string, number> {
  const total = Object.values(weights).reduce((sum, w) => sum + Math.max(0, w), 0);
  return Object.fromEntries(Object.entries(weights).map(([id, w]) => [id, total > 0 ? (Math.max(0, w) / total) * 100 : 0]));
}

// ---- formatting ----

/** An error rate (0..1) as a percentage; tiny non-zero rates keep two decimals so they don't read as 0.0%. */
export function formatRate(rate: number): string {
  return `${(rate * 100).toFixed(rate > 0 && rate < 0.001 ? 2 : 1)}%`;
}

export function formatMs(ms: number): string {
  return `${ms >= 10 ? Math.round(ms) : Number(ms.toPrecision(2))} ms`;
}

function formatWeight(percent: number): string {
  return `${Number.isInteger(percent) ? percent : trimZero(percent.toFixed(1))}%`;
}

/** "candidate 50%, stable 50%": the candidate first, the other release called stable when there is only one. */
export function formatWeights(weights: Weights, candidate: string): string {
  const percents = Object.entries(weightPercents(weights)).sort(([a], [b]) => Number(b === candidate) - Number(a === candidate));
  const others = percents.filter(([id]) => id !== candidate).length;
  const name = (id: string) => (id === candidate ? 'candidate' : others === 1 ? 'stable' : oneLine(id));
  return percents.map(([id, p]) => `${name(id)} ${formatWeight(p)}`).join(', ') || 'no routes';
}

/** Text from events on one terminal line: control characters (newlines, escape sequences) become spaces. */
function oneLine(text: string): string {
  return text
    .replace(/\p{Cc}+/gu, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
}

// ---- colours ----

type Paint = (text: string) => string;
interface Style {
  ok: Paint;
  fail: Paint;
  warn: Paint;
  info: Paint;
  dim: Paint;
}

/** Colours when `enabled` (see colour.ts's wantsColour), identity functions otherwise. */
export function colour(enabled: boolean): Style {
  const c = palette(enabled);
  return { ok: c.green, fail: c.red, warn: c.yellow, info: c.cyan, dim: c.dim };
}

// ---- events ----

type Tone = 'ok' | 'fail' | 'warn' | 'info' | 'dim';
interface Line {
  symbol: string;
  tone: Tone;
  text: string;
}

/** One line for the deploy's terminal, or null for events too frequent to print (metrics samples). */
export function formatEvent(event: ReleaseEvent, style: Style = colour(false)): string | null {
  const line = describe(event);
  return line === null ? null : `${style[line.tone](line.symbol)} ${line.text}`;
}

function describe(event: ReleaseEvent): Line | null {
  const release = oneLine(event.release);
  switch (event.type) {
    case 'deploy-started': {
      const against = event.stable === null ? 'first release' : `replacing ${oneLine(event.stable)}`;
      const overrides = event.overrides.length > 0 ? ` · overrides: ${oneLine(event.overrides.join(', '))}` : '';
      return { symbol: '▶', tone: 'info', text: `deploying ${release} (${event.strategy}, ${against})${overrides}` };
    }
    case 'build-finished': {
      const from = event.sha === null ? '' : ` from ${event.sha.slice(0, 12)}${event.dirty ? ' (uncommitted changes)' : ''}`;
      const deps = event.dependencies
        ? `, ${event.dependencies.packages} dependencies${event.dependencies.snapshot === 'created' ? ' copied from the lockfile' : ''}`
        : '';
      return { symbol: '✔', tone: 'ok', text: `built ${release}${from} (${formatDuration(event.durationMs)}${deps})` };
    }
    case 'migrations-checked':
      return describeMigrationCheck(event);
    case 'restore-point-created': {
      const lsn = event.lsn === null ? '' : ` at LSN ${oneLine(event.lsn)}`;
      return { symbol: '✔', tone: 'ok', text: `restore point ${oneLine(event.name)}${lsn}` };
    }
    case 'migrations-applied': {
      const what = event.applied.length === 0 ? 'no migrations to apply' : `applied ${plural(event.applied.length, 'migration')}`;
      return { symbol: '✔', tone: 'ok', text: `${what} (${formatDuration(event.durationMs)})` };
    }
    case 'candidate-starting': {
      const beside = event.baseline ? `, and a fresh baseline of the stable release beside it` : '';
      return { symbol: '…', tone: 'dim', text: `starting candidate ${release} (${plural(event.replicas, 'replica')})${beside}` };
    }
    case 'candidate-ready': {
      const on = event.upstreams.length > 0 ? ` on ${oneLine(event.upstreams.join(', '))}` : '';
      return { symbol: '✔', tone: 'ok', text: `candidate ${release} ready${on} (${formatDuration(event.durationMs)})` };
    }
    case 'candidate-warmed':
      return {
        symbol: '✔',
        tone: 'ok',
        text: `candidate warmed with ${event.requests} uncounted reads${event.baselineRequests === undefined ? '' : ` (baseline: ${event.baselineRequests})`} (${formatDuration(event.durationMs)})`,
      };
    case 'smoke-finished': {
      const checks = event.passed + event.failed + event.skipped;
      const skipped = event.skipped > 0 ? `, ${event.skipped} skipped` : '';
      if (event.failed === 0)
        return {
          symbol: '✔',
          tone: 'ok',
          text: `smoke suite passed (${plural(checks, 'check')}${skipped}, ${formatDuration(event.durationMs)})`,
        };
      const failure = event.failure === null ? '' : `: ${oneLine(event.failure)}`;
      const counts = `${event.passed} passed, ${event.failed} failed${skipped}`;
      return { symbol: '✖', tone: 'fail', text: `smoke suite failed${failure} (${counts}, ${formatDuration(event.durationMs)})` };
    }
    case 'step-started':
      return {
        symbol: '→',
        tone: 'info',
        text: `step ${event.step}/${event.steps}: ${formatWeights(event.weights, event.release)}, hold ${formatDuration(event.holdMs)}`,
      };
    case 'synthetic-traffic':
      return {
        symbol: '•',
        tone: 'dim',
        text: `step ${event.step}: ${plural(event.requests, 'synthetic request')} — ${oneLine(event.reason)}`,
      };
    case 'metrics':
      return null;
    case 'analysis':
      return describeAnalysis(event.step, event.result);
    case 'paused':
      return {
        symbol: '⏸',
        tone: 'warn',
        text: `paused at step ${event.step}: ${oneLine(event.reason)} — run \`slipway promote\` or \`slipway abort\` (times out at ${clock(event.timeoutAt)})`,
      };
    case 'decision': {
      const by = event.by === 'person' ? 'by a person' : 'the pause timed out';
      return { symbol: '»', tone: 'info', text: `decision: ${event.action} (${by})` };
    }
    case 'weights-changed':
      return { symbol: '→', tone: 'info', text: `traffic: ${formatWeights(event.weights, event.release)}` };
    case 'promoted': {
      const replacing = event.previous === null ? '' : `, replacing ${oneLine(event.previous)}`;
      const warm = event.keptWarmMs
        ? `; it stays warm for ${formatDuration(event.keptWarmMs)}: slipway rollback is instant until then`
        : '';
      return { symbol: '✔', tone: 'ok', text: `promoted ${release}${replacing} (${formatDuration(event.durationMs)})${warm}` };
    }
    case 'rolled-back': {
      const to = event.to === null ? 'no previous release to return to' : `traffic back on ${oneLine(event.to)}`;
      return { symbol: '↩', tone: 'fail', text: `rolled back: ${oneLine(event.reason)} — ${to} (${formatDuration(event.durationMs)})` };
    }
    case 'interrupted':
      return {
        symbol: '⚠',
        tone: 'warn',
        text: `interrupted: slipway (pid ${event.pid}) stopped after "${oneLine(event.lastEvent)}"`,
      };
    case 'log':
      return event.level === 'warn'
        ? { symbol: '⚠', tone: 'warn', text: oneLine(event.message) }
        : { symbol: '·', tone: 'dim', text: oneLine(event.message) };
    default:
      return unknownEvent(event);
  }
}

/** Every event type has its case above: a new one fails type-checking here until it does; at run time (an events file from a newer Slipway) it is shown by its type. */
function unknownEvent(event: never): Line {
  const { type } = event as { type: unknown };
  return { symbol: '·', tone: 'dim', text: oneLine(String(type)) };
}

function describeMigrationCheck(event: Extract<ReleaseEvent, { type: 'migrations-checked' }>): Line {
  if (event.refused.length > 0) return { symbol: '✖', tone: 'fail', text: `migrations refused: ${oneLine(event.refused.join('; '))}` };
  if (event.pending.length === 0) return { symbol: '✔', tone: 'ok', text: 'no pending migrations' };
  const contract = event.allowedContract.length > 0 ? ` (contract allowed: ${oneLine(event.allowedContract.join(', '))})` : '';
  const checked = `${plural(event.pending.length, 'pending migration')} checked${contract}`;
  if (event.warnings.length === 0) return { symbol: '✔', tone: 'ok', text: checked };
  return {
    symbol: '⚠',
    tone: 'warn',
    text: `${checked}, ${plural(event.warnings.length, 'warning')}: ${oneLine(event.warnings.join('; '))}`,
  };
}

function describeAnalysis(step: number, result: AnalysisResult): Line {
  if (result.verdict === 'pass') {
    const c = result.candidate;
    const err = c.requests > 0 ? formatRate(c.errorRate) : '–';
    const p95 = c.p95Ms === null ? '–' : formatMs(c.p95Ms);
    return {
      symbol: '✔',
      tone: 'ok',
      text: `analysis passed ${stepName(step)} (${plural(result.checks.length, 'check')}: ${c.requests} req, ${err} err, p95 ${p95})`,
    };
  }
  const deciding = result.checks.filter((check) => check.verdict === result.verdict);
  const named = deciding.find((check) => check.detail === result.reason);
  const reason = named ? `${named.name}: ${result.reason}` : result.reason;
  const more =
    deciding.length > 1 ? ` (+${plural(deciding.length - 1, `more ${result.verdict === 'fail' ? 'failing' : 'inconclusive'} check`)})` : '';
  return result.verdict === 'fail'
    ? { symbol: '✖', tone: 'fail', text: `analysis failed ${stepName(step)}: ${oneLine(reason)}${more}` }
    : { symbol: '?', tone: 'warn', text: `analysis inconclusive ${stepName(step)}: ${oneLine(reason)}${more}` };
}

/** Step 0 is the warm-up, before any user traffic. */
const stepName = (step: number) => (step === 0 ? 'on the warm-up (before user traffic)' : `at step ${step}`);

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Local wall-clock time (HH:MM:SS): the terminal's reader is in the machine's time zone. */
function clock(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return oneLine(iso);
  return [date.getHours(), date.getMinutes(), date.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

// ---- live progress ----

/** One status line from the latest sample: weight, requests since the previous sample, error rate and p95 per release. */
export function formatProgress(
  sample: MetricsSample,
  previous: MetricsSample | undefined,
  candidate: string,
  stable: string | null,
): string {
  const percents = weightPercents(sample.weights);
  const part = (role: string, id: string) => {
    const f = intervalFigures(sample.releases[id], previous?.releases[id]);
    const err = f.errorRate === null ? '–' : formatRate(f.errorRate);
    const p95 = f.p95Ms === null ? '–' : formatMs(f.p95Ms);
    return `${role} ${oneLine(id)} ${formatWeight(Math.round((percents[id] ?? 0) * 10) / 10)} · ${f.requests} req · ${err} err · p95 ${p95}`;
  };
  return stable === null ? part('candidate', candidate) : `${part('candidate', candidate)} | ${part('stable', stable)}`;
}
