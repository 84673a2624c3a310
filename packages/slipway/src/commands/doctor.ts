import type { LoadedConfig } from '../config/config.js';
import type { DoctorProgress } from '../doctor/findings.js';
import { runDoctor, type DoctorReport } from '../doctor/doctor.js';
import { EXIT } from '../exit-codes.js';
import { formatDuration } from '../format.js';
import { showCommand } from '../init/command-line.js';

/** `slipway doctor`: progress on `progressOut` while it runs, the report on `out` (lines or JSON); returns the exit code. */
export async function doctorCommand(
  loaded: LoadedConfig,
  options: { build: boolean; json: boolean },
  out: NodeJS.WritableStream,
  progressOut: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
): Promise<number> {
  const progress = progressPrinter(progressOut);
  let report: DoctorReport;
  try {
    report = await runDoctor(loaded, { build: options.build }, progress.show);
  } finally {
    progress.end();
  }
  if (options.json) out.write(`${JSON.stringify(report, null, 2)}\n`);
  else printReport(report, out);
  return report.ok ? EXIT.ok : EXIT.failed;
}

function printReport(report: DoctorReport, out: NodeJS.WritableStream): void {
  const port = report.port ? `, given port ${report.port.value} in ${report.port.env}` : '';
  out.write(`slipway doctor: services.${report.service} (${showCommand(report.command)})${port}\n`);
  for (const finding of report.findings) {
    out.write(`✘ ${finding.title}\n`);
    for (const line of finding.detail) out.write(`    ${line}\n`);
    out.write(`  fix: ${finding.fix}\n`);
  }
  for (const check of report.checks.filter((c) => c.status === 'passed')) out.write(`✔ smoke check "${check.name}" passed\n`);
  for (const note of report.notes) out.write(`- ${note}\n`);
  const count = report.findings.length;
  out.write(
    count === 0
      ? `all well: ${report.service} started, became ready and answered its probes${report.checks.length > 0 ? ' and smoke checks' : ''}; slipway up can run it\n`
      : `${count} ${count === 1 ? 'problem' : 'problems'} found; ${report.service} was stopped\n`,
  );
}

/**
 * Progress while the doctor works: on a terminal the wait is one line redrawn in place (cut to the terminal's width,
 * so it never wraps); elsewhere each change is a line of its own.
 */
function progressPrinter(stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }): {
  show(p: DoctorProgress): void;
  end(): void;
} {
  const tty = stream.isTTY === true;
  let redrawing = false;
  let last = '';
  const endLine = () => {
    if (redrawing) stream.write('\n');
    redrawing = false;
  };
  return {
    show(p) {
      if (p.step === 'wait' && tty) {
        const line = `  … ${p.message} (${formatDuration(p.elapsedMs ?? 0)})`;
        const width = Math.max(20, (stream.columns ?? 80) - 1);
        stream.write(`\r\x1b[2K${line.length > width ? `${line.slice(0, width - 1)}…` : line}`);
        redrawing = true;
        return;
      }
      if (p.message === last) return;
      last = p.message;
      endLine();
      stream.write(`  … ${p.message}\n`);
    },
    end: endLine,
  };
}
