// The alert rules in deploy/monitoring, checked and unit-tested by the real promtool (Debian's prometheus package).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ensureDebianPackage, ROOT } from '../helpers/process.js';

const MONITORING = path.join(ROOT, 'deploy/monitoring');
const RULES = path.join(MONITORING, 'rules/streams.rules.yml');
const TESTS = path.join(MONITORING, 'tests/streams.rules.test.yml');
/** Every rule file, each with its unit tests beside it in tests/ (streams' own, and the backups' of slipway up). */
const RULE_FILES = readdirSync(path.join(MONITORING, 'rules'))
  .filter((f) => f.endsWith('.rules.yml'))
  .map((f) => ({
    name: f,
    rules: path.join(MONITORING, 'rules', f),
    tests: path.join(MONITORING, 'tests', f.replace(/\.yml$/, '.test.yml')),
  }));

interface RuleFile {
  groups: { name: string; rules: { alert?: string; record?: string; annotations?: Record<string, string> }[] }[];
}
interface RuleTests {
  tests: { name: string; alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
}

const promtool = (...args: string[]) => spawnSync('promtool', args, { encoding: 'utf8' });

beforeAll(() => {
  ensureDebianPackage('/usr/bin/promtool', 'prometheus');
});

describe.each(RULE_FILES)('the alert rules of $name', ({ rules: file, tests: testFile }) => {
  const rules = parse(readFileSync(file, 'utf8')) as RuleFile;
  const alerts = rules.groups.flatMap((g) => g.rules).filter((r) => r.alert);

  it('pass `promtool check rules`', () => {
    const result = promtool('check', 'rules', file);
    expect(result.status, result.stdout + result.stderr).toBe(0);
  });

  it('pass their unit tests (`promtool test rules`)', () => {
    const result = promtool('test', 'rules', testFile);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/SUCCESS/);
  });

  it('each alert is tested both firing and staying quiet', () => {
    const cases = (parse(readFileSync(testFile, 'utf8')) as RuleTests).tests.flatMap((t) => t.alert_rule_test ?? []);
    const coverage = alerts.map(({ alert }) => {
      const mine = cases.filter((c) => c.alertname === alert);
      return {
        alert,
        fires: mine.some((c) => (c.exp_alerts ?? []).length > 0),
        quiet: mine.some((c) => (c.exp_alerts ?? []).length === 0),
      };
    });
    expect(coverage.length).toBeGreaterThanOrEqual(5);
    expect(coverage.filter((c) => !c.fires || !c.quiet)).toEqual([]);
  });

  it('each alert has a severity, a summary and a runbook section that exists', () => {
    const runbook = readFileSync(path.join(ROOT, 'docs/runbooks/alerts.md'), 'utf8');
    const headings = new Set([...runbook.matchAll(/^## (\S+)/gm)].map((m) => m[1]!.toLowerCase()));
    for (const rule of alerts) {
      const anchor = rule.annotations?.runbook_url?.split('#')[1];
      expect({
        alert: rule.alert,
        summary: Boolean(rule.annotations?.summary),
        runbook: anchor !== undefined && headings.has(anchor),
      }).toEqual({
        alert: rule.alert,
        summary: true,
        runbook: true,
      });
    }
  });
});

describe('the unit tests of the rules', () => {
  it('the unit tests catch a broken rule: a 5xx threshold raised from 1% to 50% fails them', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'streams-rules-'));
    try {
      mkdirSync(path.join(dir, 'rules'));
      mkdirSync(path.join(dir, 'tests'));
      const broken = readFileSync(RULES, 'utf8').replace(
        'service:http_errors:ratio_rate5m > 0.01',
        'service:http_errors:ratio_rate5m > 0.5',
      );
      expect(broken).not.toBe(readFileSync(RULES, 'utf8'));
      writeFileSync(path.join(dir, 'rules/streams.rules.yml'), broken);
      // Only the test of that alert (the whole file takes seconds of rule evaluation).
      const tests = parse(readFileSync(TESTS, 'utf8')) as RuleTests;
      tests.tests = tests.tests.filter((t) => t.name === '5xx ratio over 1%');
      expect(tests.tests).toHaveLength(1);
      writeFileSync(path.join(dir, 'tests/streams.rules.test.yml'), stringify(tests));
      const result = promtool('test', 'rules', path.join(dir, 'tests/streams.rules.test.yml'));
      expect(result.status).not.toBe(0);
      expect(result.stdout + result.stderr).toMatch(/StreamsHigh5xxRatio/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
