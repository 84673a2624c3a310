import { checkMark, type DrillResult } from '../dr/drill.js';
import { formatDuration } from '../format.js';
import { esc, page, utc } from './html.js';

// The restore drills as a page: the last drill's checks, RTO and RPO, and the drills before it with their figures
// over time, so a recovery time creeping up is seen before it is needed.

const seconds = (s: number | null) => (s === null ? '–' : `${s.toFixed(1)} s`);

function badge(d: DrillResult): string {
  return `<span class="badge ${d.passed ? 'verdict-pass' : 'verdict-fail'}">${d.passed ? 'passed' : 'failed'}</span>`;
}

/** RTO (and RPO) of each drill as bars, oldest first; failed drills in the failure colour. */
function chart(history: DrillResult[]): string {
  const drills = history.slice(-30);
  const top = Math.max(1, ...drills.flatMap((d) => [d.rtoSeconds ?? 0, d.rpoSeconds ?? 0]));
  const width = 940;
  const height = 160;
  const step = width / Math.max(drills.length, 1);
  const bar = (value: number | null, x: number, colour: string, label: string) => {
    if (value === null) return '';
    const h = Math.max(1, (value / top) * (height - 20));
    return `<rect x="${x.toFixed(1)}" y="${(height - h).toFixed(1)}" width="${(step * 0.35).toFixed(1)}" height="${h.toFixed(1)}" fill="${colour}"><title>${esc(label)}</title></rect>`;
  };
  const bars = drills
    .map((d, i) => {
      const x = i * step + step * 0.1;
      const when = utc(d.startedAt);
      return (
        bar(d.rtoSeconds, x, d.passed ? 'var(--info)' : 'var(--fail)', `${when}: RTO ${seconds(d.rtoSeconds)}`) +
        bar(d.rpoSeconds, x + step * 0.4, 'var(--warn)', `${when}: RPO ${seconds(d.rpoSeconds)}`)
      );
    })
    .join('');
  return `<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="RTO and RPO of the last ${drills.length} drills, up to ${top.toFixed(1)} s">${bars}</svg>
<p class="legend"><span class="swatch" style="border-top:8px solid var(--info)"></span>RTO <span class="swatch" style="border-top:8px solid var(--warn)"></span>RPO (up to ${top.toFixed(1)} s)</p>`;
}

export function renderDrillReport(history: DrillResult[]): string {
  const last = history.at(-1);
  if (!last) return page('Restore drills', '<header><h1>Restore drills</h1><p>No drill has run yet: slipway drill runs one.</p></header>');
  const checks = last.checks
    .map(
      (c) =>
        `<tr class="${c.passed ? 'ok' : 'fail'}"><td><span class="mark">${checkMark(c)}</span> ${esc(c.name)}</td><td>${esc(c.detail)}</td><td>${esc(formatDuration(c.ms))}</td></tr>`,
    )
    .join('\n');
  const rows = history
    .slice(-30)
    .reverse()
    .map(
      (d) =>
        `<tr><td>${esc(utc(d.startedAt))}</td><td>${badge(d)}</td><td>${seconds(d.rtoSeconds)}</td><td>${seconds(d.rpoSeconds)}</td><td>${esc(d.backup ?? '–')}</td><td>${esc(d.error ?? d.checks.find((c) => !c.passed)?.name ?? '')}</td></tr>`,
    )
    .join('\n');
  const body = `<header>
<h1>Restore drill ${esc(last.id)} ${badge(last)}</h1>
<p>${esc(utc(last.startedAt))} · backup ${esc(last.backup ?? '–')} · RTO ${seconds(last.rtoSeconds)} · RPO ${seconds(last.rpoSeconds)}${
    last.keptDataDir ? ` · the copy is kept in ${esc(last.keptDataDir)}` : ''
  }</p>
${last.error ? `<p class="fail"><span class="mark">✖</span> ${esc(last.error)}</p>` : ''}
</header>
<section><h2>Checks of the restored copy</h2>
<table class="analyses"><thead><tr><th>check</th><th>detail</th><th>time</th></tr></thead><tbody>
${checks || '<tr><td colspan="3">none ran</td></tr>'}
</tbody></table></section>
<section><h2>RTO and RPO over the last drills</h2>
${chart(history)}
<table class="analyses"><thead><tr><th>started</th><th>result</th><th>RTO</th><th>RPO</th><th>backup</th><th>failed on</th></tr></thead><tbody>
${rows}
</tbody></table></section>`;
  return page(`Restore drill ${last.id}`, body);
}
