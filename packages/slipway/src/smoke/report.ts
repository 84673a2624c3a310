import type { CheckResult, SmokeResult } from './types.js';

/** Replaces every secret value with [redacted]: a report is shared, a token must not be. */
export function redact(text: string, secrets: readonly string[]): string {
  return secrets.filter((s) => s.length >= 8).reduce((acc, secret) => acc.split(secret).join('[redacted]'), text);
}

const MARK = { passed: '✓', failed: '✗', skipped: '-' } as const;

export function formatCheckLine(result: CheckResult): string {
  const name = result.name.padEnd(28);
  const ms = result.status === 'skipped' ? ''.padStart(8) : `${result.durationMs} ms`.padStart(8);
  const tail = result.status === 'failed' ? result.error : result.detail;
  const lines = [`${MARK[result.status]} ${name} ${ms}  ${result.status === 'skipped' ? 'skipped: ' : ''}${tail ?? ''}`.trimEnd()];
  if (result.status === 'failed' && result.evidence) {
    const e = result.evidence;
    lines.push(`    ${e.method} ${e.url} → ${e.status ?? 'no response'}`);
    if (e.bodyExcerpt) lines.push(`    ${e.bodyExcerpt.replace(/\s+/g, ' ')}`);
  }
  if (result.attempts > 1) lines.push(`    after ${result.attempts} attempts`);
  return lines.join('\n');
}

export function formatSummary(result: SmokeResult): string {
  const base = `${result.passed} passed, ${result.failed} failed`;
  return result.skipped > 0 ? `${base}, ${result.skipped} skipped` : base;
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
// XML 1.0 cannot hold control characters other than tab, newline and carriage return.
// eslint-disable-next-line no-control-regex
const XML_FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g;
const xml = (s: string) => s.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!).replace(XML_FORBIDDEN, '');

export function toJUnit(result: SmokeResult): string {
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const cases = result.checks.map((c) => {
    const open = `    <testcase classname="${xml(result.suite)}" name="${xml(c.name)}" time="${seconds(c.durationMs)}">`;
    if (c.status === 'skipped') return `${open}\n      <skipped message="${xml(c.detail ?? '')}"/>\n    </testcase>`;
    if (c.status === 'failed') {
      const evidence = c.evidence
        ? `${c.evidence.method} ${c.evidence.url} → ${c.evidence.status ?? 'no response'}\n${c.evidence.bodyExcerpt}`
        : '';
      return `${open}\n      <failure message="${xml(c.error ?? 'failed')}">${xml(evidence)}</failure>\n    </testcase>`;
    }
    return `${open}</testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="smoke" tests="${result.checks.length}" failures="${result.failed}" skipped="${result.skipped}" time="${seconds(result.durationMs)}">`,
    `  <testsuite name="${xml(result.suite)}" tests="${result.checks.length}" failures="${result.failed}" skipped="${result.skipped}" time="${seconds(result.durationMs)}" timestamp="${result.startedAt}">`,
    `    <properties><property name="target" value="${xml(result.target)}"/><property name="runId" value="${xml(result.runId)}"/></properties>`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
