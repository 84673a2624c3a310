import { describe, expect, it } from 'vitest';
import { dashboardPage, headline, pageUpdate, signInPage } from './page.js';
import type { DashboardState, DeployView } from './view.js';

const at = '2026-03-01T12:00:00.000Z';

const idle: DashboardState = {
  at,
  publicUrl: 'http://127.0.0.1:3000',
  stable: 'v1',
  liveWindowMs: 10_000,
  releases: [
    {
      id: 'v1',
      role: 'stable',
      version: 'v1',
      weight: 100,
      processes: { ready: 3, total: 3 },
      live: { requestsPerSecond: 12.4, errorRate: 0, p95Ms: 4.2, requests: 124 },
      retiresAt: null,
    },
  ],
  deploy: null,
  history: [],
};

const paused: DeployView = {
  release: 'v2',
  phase: 'paused',
  pid: 42,
  strategy: 'canary',
  startedAt: at,
  step: { step: 1, steps: 2, weights: { v2: 30, v1: 70 }, holdMs: 30_000 },
  analysis: {
    step: 1,
    verdict: 'inconclusive',
    reason: '<b>12</b> requests',
    checks: [{ name: 'enough traffic', verdict: 'inconclusive', detail: '12 < 50' }],
  },
  pause: { step: 1, reason: '12 requests, 50 needed', timeoutAt: '2026-03-01T12:30:00.000Z' },
  actions: ['promote', 'abort'],
  recent: [{ at, text: '⏸ paused at step 1' }],
};

describe('the dashboard page', () => {
  it('says plainly when nothing is being released', () => {
    const html = dashboardPage(idle);
    expect(html).toMatch(/<strong>No release in progress.<\/strong> Release <code>v1<\/code> serves all traffic/);
    expect(html).not.toMatch(/<button/);
    expect(headline(idle)).toBe('No release in progress; v1 serves all traffic.');
  });

  it('has one h1, a heading per section, and tables with captions and header cells', () => {
    const html = dashboardPage({ ...idle, deploy: paused });
    expect(html.match(/<h1>/g)).toHaveLength(1);
    expect(html).toMatch(/<h2 id="h-deploy">Current release<\/h2>/);
    expect(html).toMatch(/<h2 id="h-releases">Running releases<\/h2>/);
    expect(html).toMatch(/<h2 id="h-history">History<\/h2>/);
    expect(html).toMatch(/<table class="releases"><caption>[^<]+over the last 10 s<\/caption>/);
    expect(html).toMatch(/<th scope="col">Requests per second<\/th>/);
    expect(html).toMatch(
      /<th scope="row"><code>v1<\/code><\/th><td>Stable<\/td><td class="num">.*100%<\/td><td class="num">12<\/td><td class="num">0\.0%<\/td><td class="num">4\.2 ms<\/td><td class="num">3 of 3<\/td>/,
    );
  });

  it('offers a paused release’s decisions as buttons that name the release', () => {
    const html = pageUpdate({ ...idle, deploy: paused }).regions.deploy;
    expect(html).toContain('<button type="button" class="promote" data-action="promote" data-release="v2">Promote release v2</button>');
    expect(html).toContain(
      '<button type="button" class="abort" data-action="abort" data-release="v2">Abort release v2 (roll back)</button>',
    );
    expect(html).toMatch(
      /waits for a person until <time datetime="2026-03-01T12:30:00.000Z">2026-03-01 12:30:00 UTC<\/time>, then rolls back/,
    );
    expect(headline({ ...idle, deploy: paused })).toBe('Release v2 is paused at step 1 and waits for a person.');
    // The event's symbol is decoration: its words say the same.
    expect(html).toContain('<span class="mark" aria-hidden="true">⏸</span> paused at step 1</li>');
  });

  it('escapes what comes from events, ids and the history', () => {
    const html = dashboardPage({
      ...idle,
      deploy: paused,
      history: [
        {
          id: 'v2',
          kind: 'deploy',
          strategy: 'canary',
          result: 'rolled-back',
          reason: '<img src=x onerror=alert(1)>',
          startedAt: at,
          finishedAt: at,
          durationMs: 1000,
          stableAfter: 'v1',
          report: '/releases/v2/report',
        },
      ],
    });
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<b>12</b>');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('<a href="/releases/v2/report">Report<span class="visually-hidden"> for release v2</span></a>');
  });

  it('marks figures not measured yet for screen readers instead of showing a bare dash', () => {
    const html = pageUpdate({ ...idle, liveWindowMs: null, releases: [{ ...idle.releases[0]!, live: null }] }).regions.releases;
    expect(html).toMatch(/figures appear with the next update/);
    expect(html.match(/<span class="visually-hidden">measuring<\/span>/g)).toHaveLength(3);
  });

  it('the sign-in page says how to get in', () => {
    expect(signInPage('You are not signed in.')).toMatch(/Run <code>slipway dashboard<\/code>/);
  });
});
