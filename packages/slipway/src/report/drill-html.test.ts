import { describe, expect, it } from 'vitest';
import type { DrillResult } from '../dr/drill.js';
import { renderDrillReport } from './drill-html.js';

const drill = (over: Partial<DrillResult>): DrillResult => ({
  id: '20261201T101500000Z',
  startedAt: '2026-12-01T10:15:00.000Z',
  finishedAt: '2026-12-01T10:15:09.000Z',
  passed: true,
  backup: '20261201T020000000Z',
  rtoSeconds: 4.2,
  rpoSeconds: 1.3,
  checks: [
    { name: 'data checksums', passed: true, detail: 'on', ms: 3 },
    { name: 'amcheck: tables', passed: true, detail: '180 tables without corruption', ms: 900 },
  ],
  error: null,
  keptDataDir: null,
  ...over,
});

describe('the restore drill report', () => {
  it('shows the last drill with its checks, RTO and RPO, and the drills before it', () => {
    const html = renderDrillReport([drill({ id: 'first', rtoSeconds: 3.1 }), drill({})]);
    expect(html).toContain('Restore drill 20261201T101500000Z');
    expect(html).toContain('verdict-pass');
    expect(html).toMatch(/RTO 4\.2 s · RPO 1\.3 s/);
    expect(html).toContain('180 tables without corruption');
    expect(html.match(/<rect /g)).toHaveLength(4);
    expect(html).toContain('RTO 3.1 s');
  });

  it('names what failed, where the copy is kept, and escapes what the checks said', () => {
    const failed = drill({
      passed: false,
      keptDataDir: '/var/lib/slipway/drills/x',
      checks: [{ name: 'ledger', passed: false, detail: 'broken: <script>alert(1)</script>', ms: 10 }],
    });
    const html = renderDrillReport([failed]);
    expect(html).toContain('verdict-fail');
    expect(html).toContain('the copy is kept in /var/lib/slipway/drills/x');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>');
  });

  it('says so when no drill has run', () => {
    expect(renderDrillReport([])).toContain('No drill has run yet');
  });
});
