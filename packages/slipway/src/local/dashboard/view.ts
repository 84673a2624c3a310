import type { BackendState } from '../../engine/backend.js';
import {
  TERMINAL_EVENTS,
  type AnalysisCheck,
  type ReleaseEvent,
  type StrategyName,
  type Verdict,
  type Weights,
} from '../../engine/events.js';
import { BUILDING, type DeployLock, type HistoryEntry } from '../../engine/store.js';
import { formatEvent, weightPercents } from '../../report/terminal.js';
import type { LiveFigures } from './traffic.js';

/** What a running release is to the deploy: the one serving users, the one being tried, its fresh baseline, … */
export type ReleaseRole = 'stable' | 'candidate' | 'baseline' | 'previous' | 'other';

export interface ReleaseRow {
  id: string;
  role: ReleaseRole;
  /** The code it runs: its id, or for a baseline the id of the release it copies. */
  version: string;
  /** Share of new requests the router sends it, in percent. */
  weight: number;
  processes: { ready: number; total: number };
  /** null until two samples of the router's counters are a second or more apart. */
  live: LiveFigures | null;
  /** A replaced release kept warm for an instant rollback: when it stops. */
  retiresAt: string | null;
}

/** `building`: the lock is taken but the release has no id yet; `finished`: settled, the deploy is still tidying up. */
export type DeployPhase = 'building' | 'running' | 'paused' | 'interrupted' | 'finished';

export interface DeployView {
  /** null while it is being built. */
  release: string | null;
  phase: DeployPhase;
  pid: number;
  strategy: StrategyName | null;
  startedAt: string;
  step: { step: number; steps: number; weights: Weights; holdMs: number } | null;
  analysis: { step: number; verdict: Verdict; reason: string; checks: AnalysisCheck[] } | null;
  pause: { step: number; reason: string; timeoutAt: string } | null;
  /** What a person can do about it now (the page's buttons). */
  actions: ('promote' | 'abort')[];
  /** Its latest events as `slipway deploy` prints them, oldest first. */
  recent: { at: string; text: string }[];
}

export interface HistoryRow extends HistoryEntry {
  /** Where the dashboard serves the release's HTML report; null when it has no events to report. */
  report: string | null;
}

export interface DashboardState {
  at: string;
  publicUrl: string;
  stable: string | null;
  /** The span the live figures cover, in ms (null until there are two samples). */
  liveWindowMs: number | null;
  releases: ReleaseRow[];
  deploy: DeployView | null;
  /** Newest first. */
  history: HistoryRow[];
}

export interface ViewInput {
  now: Date;
  backend: BackendState;
  stable: string | null;
  lock: DeployLock | null;
  /** Whether the process holding the lock is still running. */
  lockHolderAlive: boolean;
  /** The events of the release named by the lock (empty without one). */
  events: ReleaseEvent[];
  history: HistoryEntry[];
  hasEvents(release: string): boolean;
  live(release: string): LiveFigures | null;
  liveWindowMs: number | null;
}

const HISTORY_ROWS = 20;
const RECENT_EVENTS = 8;
const ROLE_ORDER: ReleaseRole[] = ['stable', 'candidate', 'baseline', 'previous', 'other'];

export const reportPath = (release: string) => `/releases/${encodeURIComponent(release)}/report`;

/** Everything the page shows, from the stack's state, the deploy lock, the release's events and the history. */
export function dashboardState(input: ViewInput): DashboardState {
  const deploy = deployView(input);
  const candidate = deploy && deploy.phase !== 'finished' ? deploy.release : null;
  const percents = weightPercents(input.backend.weights);
  const releases = input.backend.releases
    .map((r): ReleaseRow => ({
      id: r.id,
      role: roleOf(r, input.stable, candidate),
      version: r.version,
      weight: percents[r.id] ?? 0,
      processes: { ready: r.replicas.filter((p) => p.state === 'ready').length, total: r.replicas.length },
      live: input.live(r.id),
      retiresAt: r.retiresAt,
    }))
    .sort((a, b) => ROLE_ORDER.indexOf(a.role) - ROLE_ORDER.indexOf(b.role));
  const history = input.history
    .slice(-HISTORY_ROWS)
    .reverse()
    .map((h) => ({ ...h, report: input.hasEvents(h.id) ? reportPath(h.id) : null }));
  return {
    at: input.now.toISOString(),
    publicUrl: input.backend.publicUrl,
    stable: input.stable,
    liveWindowMs: input.liveWindowMs,
    releases,
    deploy,
    history,
  };
}

function roleOf(r: BackendState['releases'][number], stable: string | null, candidate: string | null): ReleaseRole {
  if (r.id === candidate) return 'candidate';
  if (r.version !== r.id) return 'baseline';
  if (r.id === stable) return 'stable';
  if (r.retiresAt !== null) return 'previous';
  return 'other';
}

type EventOf<T extends ReleaseEvent['type']> = Extract<ReleaseEvent, { type: T }>;
const latest = <T extends ReleaseEvent['type']>(events: ReleaseEvent[], type: T) =>
  events.findLast((e): e is EventOf<T> => e.type === type);

function deployView({ lock, lockHolderAlive, events }: ViewInput): DeployView | null {
  if (!lock) return null;
  const building = lock.release === BUILDING;
  // A deploy that died before its release had events left nothing to settle (slipway deploy clears its lock).
  if (!lockHolderAlive && (building || events.length === 0)) return null;
  const phase = phaseOf(building, lockHolderAlive, events);
  const step = latest(events, 'step-started');
  const analysis = latest(events, 'analysis');
  const paused = latest(events, 'paused');
  return {
    release: building ? null : lock.release,
    phase,
    pid: lock.pid,
    strategy: latest(events, 'deploy-started')?.strategy ?? null,
    startedAt: lock.startedAt,
    step: step ? { step: step.step, steps: step.steps, weights: weightPercents(step.weights), holdMs: step.holdMs } : null,
    analysis: analysis
      ? { step: analysis.step, verdict: analysis.result.verdict, reason: analysis.result.reason, checks: analysis.result.checks }
      : null,
    pause: phase === 'paused' && paused ? { step: paused.step, reason: paused.reason, timeoutAt: paused.timeoutAt } : null,
    actions: phase === 'paused' || phase === 'interrupted' ? ['promote', 'abort'] : phase === 'running' ? ['abort'] : [],
    recent: events
      .map((e) => ({ at: e.at, text: formatEvent(e) }))
      .filter((e): e is { at: string; text: string } => e.text !== null)
      .slice(-RECENT_EVENTS),
  };
}

function phaseOf(building: boolean, alive: boolean, events: ReleaseEvent[]): DeployPhase {
  if (building) return 'building';
  if (events.some((e) => TERMINAL_EVENTS.has(e.type))) return 'finished';
  if (!alive) return 'interrupted';
  // Paused until a decision (by a person or the pause's timeout) follows the pause.
  return events.findLast((e) => e.type === 'paused' || e.type === 'decision')?.type === 'paused' ? 'paused' : 'running';
}
