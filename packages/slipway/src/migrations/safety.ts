import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * Squawk rules whose finding means the migration can break the release that is
 * still serving while it runs (expand/contract: only the contract phase may do these).
 */
const DESTRUCTIVE_RULES = new Set([
  'ban-drop-column',
  'ban-drop-table',
  'ban-drop-database',
  'ban-drop-not-null',
  'renaming-column',
  'renaming-table',
  'changing-column-type',
  'ban-truncate-cascade',
]);

export interface Finding {
  file: string;
  /** 1-based line of the statement. */
  line: number;
  rule: string;
  message: string;
  /** The statement's text, as written in the file. */
  statement: string;
  destructive: boolean;
}

export interface SafetyReport {
  /** Destructive findings in migrations not marked as the contract phase: the deploy must stop. */
  refused: Finding[];
  /** Destructive findings in migrations marked as the contract phase: allowed, shown. */
  allowedContract: Finding[];
  /** Everything else squawk said (lock timeouts, concurrent indexes…): advice, not a verdict. */
  warnings: Finding[];
}

interface SquawkViolation {
  file: string;
  line: number;
  column: number;
  column_end: number;
  line_end: number;
  rule_name: string;
  message: string;
  level: string;
}

function squawkBinary(): string {
  const fromCli = createRequire(createRequire(import.meta.url).resolve('squawk-cli/js/index.js'));
  const platformPackage = `@squawk-cli/${process.platform}-${process.arch}`;
  return fromCli.resolve(`${platformPackage}/bin/${process.platform === 'win32' ? 'squawk.exe' : 'squawk'}`);
}

/** The whole SQL statement around squawk's finding (squawk points at the offending clause only). */
function statementAt(text: string, v: SquawkViolation): string {
  const lines = text.split('\n');
  const offset = lines.slice(0, v.line).reduce((n, l) => n + l.length + 1, 0) + v.column;
  const start = text.lastIndexOf(';', offset - 1) + 1;
  const end = text.indexOf(';', offset);
  const statement = text.slice(start, end < 0 ? text.length : end);
  // drop comment lines before the statement
  return statement
    .split('\n')
    .filter((l) => !/^\s*--/.test(l))
    .join('\n')
    .trim()
    .replace(/\s+/g, ' ');
}

// node-pg-migrate's `-- Down Migration`, dbmate's `-- migrate:down`: a rollback section is not run on deploy.
const DOWN_MARKER = /^\s*--\s*(down migration|migrate:down)\b/im;

/** The file with its down section blanked out, so squawk's line numbers still match the original. */
function upSection(text: string): string {
  const at = text.search(DOWN_MARKER);
  if (at < 0) return text;
  return text.slice(0, at) + text.slice(at).replace(/[^\n]/g, '');
}

/**
 * Lints pending migration files with squawk and sorts the findings: destructive
 * statements are refused unless their migration is named in `contract`.
 */
export async function checkMigrations(files: { path: string; text: string }[], contract: readonly string[]): Promise<SafetyReport> {
  const report: SafetyReport = { refused: [], allowedContract: [], warnings: [] };
  if (files.length === 0) return report;
  const staging = await mkdtemp(path.join(tmpdir(), 'slipway-squawk-'));
  const copies = new Map<string, { path: string; text: string }>();
  try {
    for (const [index, file] of files.entries()) {
      const copy = path.join(staging, `${index}-${path.basename(file.path)}`);
      await writeFile(copy, upSection(file.text));
      copies.set(copy, file);
    }
    const violations = await runSquawk([...copies.keys()]);
    for (const v of violations) sortFinding(report, v, copies.get(path.resolve(v.file)), contract);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return report;
}

async function runSquawk(paths: string[]): Promise<SquawkViolation[]> {
  const run = promisify(execFile);
  let stdout: string;
  try {
    ({ stdout } = await run(squawkBinary(), ['--reporter', 'json', ...paths], { maxBuffer: 16 * 1024 * 1024 }));
  } catch (err) {
    // squawk exits non-zero when it finds errors; its JSON is still on stdout.
    const out = (err as { stdout?: string }).stdout;
    if (!out) throw new Error(`squawk could not lint the migrations: ${(err as Error).message}`);
    stdout = out;
  }
  return JSON.parse(stdout) as SquawkViolation[];
}

function sortFinding(
  report: SafetyReport,
  v: SquawkViolation,
  file: { path: string; text: string } | undefined,
  contract: readonly string[],
): void {
  const name = path.basename(file?.path ?? v.file).replace(/\.sql$/, '');
  const destructive = DESTRUCTIVE_RULES.has(v.rule_name);
  const finding: Finding = {
    file: file?.path ?? v.file,
    line: v.line + 1,
    rule: v.rule_name,
    message: v.message,
    statement: file ? statementAt(file.text, v) : '',
    destructive,
  };
  if (!destructive) report.warnings.push(finding);
  else if (contract.includes(name)) report.allowedContract.push(finding);
  else report.refused.push(finding);
}

/** One line per refused statement, naming the file, the line, the statement and why. */
export function describeRefusal(report: SafetyReport): string {
  return report.refused
    .map((f) => `${f.file}:${f.line}: ${f.statement} — ${f.message} (${f.rule}); mark the migration as the contract phase to allow it`)
    .join('\n');
}
