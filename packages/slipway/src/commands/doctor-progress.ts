import type { DoctorProgress } from '../doctor/findings.js';
import { formatDuration } from '../format.js';

/**
 * Progress while the doctor works: on a terminal the wait is one line redrawn in place (cut to the terminal's width,
 * so it never wraps); elsewhere each change is a line of its own.
 */
export function progressPrinter(stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }): {
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
