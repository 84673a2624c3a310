import type { LoadedConfig } from '../config/config.js';
import { runDoctor, type DoctorReport } from '../doctor/doctor.js';
import { EXIT } from '../exit-codes.js';
import { showCommand } from '../init/command-line.js';
import { progressPrinter } from './doctor-progress.js';

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
