import { formatDuration } from '../../format.js';
import { formatMs, formatRate, formatWeights } from '../../report/terminal.js';
import type { LiveFigures } from './traffic.js';
import type { DashboardState, DeployPhase, DeployView, HistoryRow, ReleaseRow } from './view.js';

// The dashboard's HTML, rendered on the server from one DashboardState: the page's shell with every region filled
// in, and the regions alone for the page's script to swap in as they change.

export const SCRIPT_PATH = '/assets/dashboard.js';
export const STYLE_PATH = '/assets/dashboard.css';

export type RegionName = 'deploy' | 'releases' | 'history';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/** What the page's script gets on every poll. */
export interface PageUpdate {
  at: string;
  /** One sentence for screen readers, announced when it changes. */
  headline: string;
  regions: Record<RegionName, string>;
}

export function pageUpdate(state: DashboardState): PageUpdate {
  return {
    at: state.at,
    headline: headline(state),
    regions: { deploy: deployRegion(state), releases: releasesRegion(state), history: historyRegion(state) },
  };
}

export function dashboardPage(state: DashboardState): string {
  const { regions } = pageUpdate(state);
  const section = (name: RegionName, title: string, after = '') =>
    `<section aria-labelledby="h-${name}"><h2 id="h-${name}">${title}</h2><div data-region="${name}">${regions[name]}</div>${after}</section>`;
  return document(
    'Slipway releases',
    `<header class="top">
<h1>Slipway releases</h1>
<p class="meta">Service at <a href="${escapeHtml(state.publicUrl)}">${escapeHtml(state.publicUrl)}</a> · updated <time id="updated" datetime="${state.at}">${clock(state.at)}</time></p>
</header>
<main>
<p class="visually-hidden" role="status" id="headline">${escapeHtml(headline(state))}</p>
${section('deploy', 'Current release', '<p class="action-status" role="status" id="action-status"></p>')}
${section('releases', 'Running releases')}
${section('history', 'History')}
</main>`,
    `<script type="module" src="${SCRIPT_PATH}"></script>`,
  );
}

/** The page a browser gets without a session (401). */
export function signInPage(problem: string): string {
  return document(
    'Sign in · Slipway releases',
    `<main>
<h1>Sign in to the release dashboard</h1>
<p>${escapeHtml(problem)}</p>
<p>Run <code>slipway dashboard</code> where the service's <code>slipway.config.ts</code> is, and open the link it prints. Each link works once, for a few minutes.</p>
</main>`,
  );
}

function document(title: string, body: string, head = ''): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${STYLE_PATH}">
${head}
</head>
<body>
${body}
</body>
</html>
`;
}

// ---- the current release ----

const PHASE_LABEL: Record<DeployPhase, string> = {
  building: 'Building',
  running: 'Running',
  paused: 'Paused',
  interrupted: 'Interrupted',
  finished: 'Finishing',
};

export function headline(state: DashboardState): string {
  const d = state.deploy;
  if (!d) return state.stable ? `No release in progress; ${state.stable} serves all traffic.` : 'No release yet.';
  if (d.release === null) return 'A new release is being built.';
  if (d.phase === 'paused') return `Release ${d.release} is paused at step ${d.pause?.step ?? '?'} and waits for a person.`;
  if (d.phase === 'interrupted') return `The deploy of ${d.release} was interrupted and waits for a person.`;
  if (d.phase === 'finished') return `Release ${d.release} is settled; the deploy is finishing.`;
  return d.step ? `Release ${d.release} is at step ${d.step.step} of ${d.step.steps}.` : `Release ${d.release} is starting.`;
}

function deployRegion(state: DashboardState): string {
  const d = state.deploy;
  if (!d) {
    const serving = state.stable ? `Release ${code(state.stable)} serves all traffic.` : 'There is no release yet.';
    return `<p class="idle"><strong>No release in progress.</strong> ${serving}</p>`;
  }
  if (d.release === null)
    return `<p class="idle"><span class="badge phase-building">Building</span> <code>slipway deploy</code> (pid ${d.pid}) is building a new release.</p>`;
  const strategy = d.strategy ? `${escapeHtml(d.strategy)}, ` : '';
  return [
    `<p class="deploy-title"><span class="badge phase-${d.phase}">${PHASE_LABEL[d.phase]}</span> Release ${code(d.release)} <span class="muted">(${strategy}started ${time(d.startedAt)}, deploy pid ${d.pid})</span></p>`,
    facts(d),
    decision(d),
    checksTable(d),
    recentEvents(d),
  ].join('\n');
}

function facts(d: DeployView): string {
  const step = d.step
    ? `${d.step.step} of ${d.step.steps}: ${escapeHtml(formatWeights(d.step.weights, d.release ?? ''))}; hold ${formatDuration(d.step.holdMs)}`
    : 'not started yet';
  const analysis = d.analysis
    ? `${d.analysis.step === 0 ? 'warm-up' : `step ${d.analysis.step}`}: <span class="verdict verdict-${d.analysis.verdict}">${d.analysis.verdict}</span> — ${escapeHtml(d.analysis.reason)}`
    : 'none yet';
  return `<dl class="facts"><div><dt>Step</dt><dd>${step}</dd></div><div><dt>Latest analysis</dt><dd>${analysis}</dd></div></dl>`;
}

function decision(d: DeployView): string {
  if (d.actions.length === 0 || d.release === null) return '';
  const why =
    d.phase === 'paused' && d.pause
      ? `<p>Paused at step ${d.pause.step}: ${escapeHtml(d.pause.reason)}. It waits for a person until ${time(d.pause.timeoutAt)}, then rolls back.</p>`
      : d.phase === 'interrupted'
        ? `<p>The deploy's process (pid ${d.pid}) is gone. Promote finishes the release; Abort rolls it back.</p>`
        : '';
  const id = escapeHtml(d.release);
  const buttons = d.actions
    .map((action) =>
      action === 'promote'
        ? `<button type="button" class="promote" data-action="promote" data-release="${id}">Promote release ${id}</button>`
        : `<button type="button" class="abort" data-action="abort" data-release="${id}">Abort release ${id} (roll back)</button>`,
    )
    .join(' ');
  return `<div class="decision">${why}<p class="buttons">${buttons}</p></div>`;
}

function checksTable(d: DeployView): string {
  if (!d.analysis || d.analysis.checks.length === 0) return '';
  const rows = d.analysis.checks
    .map(
      (c) =>
        `<tr><th scope="row">${escapeHtml(c.name)}</th><td><span class="verdict verdict-${c.verdict}">${c.verdict}</span></td><td>${escapeHtml(c.detail)}</td></tr>`,
    )
    .join('');
  const when = d.analysis.step === 0 ? 'the warm-up' : `step ${d.analysis.step}`;
  return `<table class="checks"><caption>Checks of the latest analysis (${when})</caption><thead><tr><th scope="col">Check</th><th scope="col">Verdict</th><th scope="col">Detail</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function recentEvents(d: DeployView): string {
  if (d.recent.length === 0) return '';
  // Lines as `slipway deploy` prints them: a symbol (✔, ✖, ⏸…), which the words already say, then the words.
  const items = d.recent
    .map((e) => {
      const space = e.text.indexOf(' ');
      const [mark, words] = space > 0 ? [e.text.slice(0, space), e.text.slice(space + 1)] : ['', e.text];
      return `<li>${time(e.at, true)} <span class="mark" aria-hidden="true">${escapeHtml(mark)}</span> ${escapeHtml(words)}</li>`;
    })
    .join('');
  return `<h3>Latest events</h3><ul class="events">${items}</ul>`;
}

// ---- running releases ----

const ROLE_LABEL: Record<ReleaseRow['role'], string> = {
  stable: 'Stable',
  candidate: 'Candidate',
  baseline: 'Baseline',
  previous: 'Previous (kept warm)',
  other: 'Other',
};

function releasesRegion(state: DashboardState): string {
  if (state.releases.length === 0) return '<p class="idle">No release is running.</p>';
  const span = state.liveWindowMs;
  const caption =
    span === null
      ? 'Releases, their share of traffic and what they served (figures appear with the next update)'
      : `Releases, their share of traffic and what they served over the last ${formatDuration(span)}`;
  const head = ['Release', 'Role', 'Weight', 'Requests per second', 'Error rate', 'p95 latency', 'Processes ready']
    .map((h) => `<th scope="col">${h}</th>`)
    .join('');
  const rows = state.releases.map(releaseRow).join('');
  return `<table class="releases"><caption>${caption}</caption><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>`;
}

function releaseRow(r: ReleaseRow): string {
  const role =
    r.role === 'baseline'
      ? `Baseline (runs ${code(r.version)})`
      : r.role === 'previous' && r.retiresAt
        ? `Previous, kept warm until ${time(r.retiresAt)}`
        : ROLE_LABEL[r.role];
  const weight = `${weightBar(r.weight)}${formatPercent(r.weight)}`;
  return `<tr data-release="${escapeHtml(r.id)}" data-role="${r.role}"><th scope="row">${code(r.id)}</th><td>${role}</td><td class="num">${weight}</td>${liveCells(r.live)}<td class="num">${r.processes.ready} of ${r.processes.total}</td></tr>`;
}

function liveCells(live: LiveFigures | null): string {
  const none = (why: string) => `<span aria-hidden="true">–</span><span class="visually-hidden">${why}</span>`;
  if (!live) return `<td class="num">${none('measuring')}</td>`.repeat(3);
  const rate = live.requestsPerSecond;
  const perSecond = rate === 0 ? '0' : rate < 10 ? rate.toFixed(1) : String(Math.round(rate));
  const errors = live.errorRate === null ? none('no requests') : formatRate(live.errorRate);
  const p95 = live.p95Ms === null ? none('no requests') : formatMs(live.p95Ms);
  return `<td class="num">${perSecond}</td><td class="num">${errors}</td><td class="num">${p95}</td>`;
}

/** A decorative bar (SVG attributes, so the page needs no inline styles); the number beside it is what is read out. */
function weightBar(percent: number): string {
  const width = Math.round(Math.max(0, Math.min(100, percent)));
  return `<svg class="bar" aria-hidden="true" focusable="false" viewBox="0 0 100 8" width="60" height="8" preserveAspectRatio="none"><rect class="track" width="100" height="8"/><rect class="fill" width="${width}" height="8"/></svg>`;
}

const formatPercent = (p: number) => `${Number.isInteger(p) ? p : p.toFixed(1)}%`;

// ---- history ----

const RESULT_LABEL: Record<HistoryRow['result'], string> = { promoted: 'Promoted', 'rolled-back': 'Rolled back', rollback: 'Rollback' };

function historyRegion(state: DashboardState): string {
  if (state.history.length === 0) return '<p class="idle">No releases yet.</p>';
  const head = ['Release', 'Finished', 'How', 'Result', 'Duration', 'Reason', 'Report'].map((h) => `<th scope="col">${h}</th>`).join('');
  const rows = state.history.map(historyRow).join('');
  return `<table class="history"><caption>Past releases, newest first</caption><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>`;
}

function historyRow(h: HistoryRow): string {
  const how =
    h.kind === 'deploy'
      ? `deploy (${escapeHtml(h.strategy ?? 'unknown strategy')})`
      : h.kind === 'rollback'
        ? 'slipway rollback'
        : 'first release';
  const report = h.report
    ? `<a href="${escapeHtml(h.report)}">Report<span class="visually-hidden"> for release ${escapeHtml(h.id)}</span></a>`
    : '<span class="muted">none</span>';
  return `<tr data-release="${escapeHtml(h.id)}"><th scope="row">${code(h.id)}</th><td>${time(h.finishedAt)}</td><td>${how}</td><td><span class="result result-${h.result}">${RESULT_LABEL[h.result]}</span></td><td class="num">${formatDuration(h.durationMs)}</td><td class="reason">${escapeHtml(h.reason)}</td><td>${report}</td></tr>`;
}

// ---- small parts ----

const code = (text: string) => `<code>${escapeHtml(text)}</code>`;

/** UTC, like the HTML reports: the reader's and the server's time zones may differ. */
function time(iso: string, clockOnly = false): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return escapeHtml(iso);
  const text = clockOnly ? clock(iso) : `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
  return `<time datetime="${date.toISOString()}">${text}</time>`;
}

function clock(iso: string): string {
  return `${new Date(iso).toISOString().slice(11, 19)} UTC`;
}
