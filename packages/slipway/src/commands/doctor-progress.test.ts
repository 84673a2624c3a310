import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { progressPrinter } from './doctor-progress.js';

function stream(tty: boolean, columns = 80) {
  const out = Object.assign(new PassThrough(), { isTTY: tty, columns });
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { out, text: () => text };
}

const wait = (message: string, elapsedMs: number) => ({ step: 'wait' as const, message, elapsedMs });

describe("doctor's progress", () => {
  it('on a terminal, redraws the wait in one line cut to its width, then goes on below it', () => {
    const { out, text } = stream(true, 40);
    const progress = progressPrinter(out);
    progress.show({ step: 'start', message: 'starting web' });
    progress.show(wait('waiting for web to be ready: not listening on its port yet', 200));
    progress.show(wait('waiting for web to be ready: readiness probe: GET /healthz: 503', 1_400));
    progress.show({ step: 'stop', message: 'stopping web' });
    progress.end();
    const redraws = text().split('\r\x1b[2K').slice(1);
    expect(redraws).toHaveLength(2);
    for (const line of redraws) expect(line.split('\n')[0]!.length).toBeLessThanOrEqual(39);
    expect(redraws[1]).toMatch(/^ {2}… waiting for web to be ready: r.*…\n {2}… stopping web\n$/);
  });

  it('elsewhere, writes each new message once, on a line of its own', () => {
    const { out, text } = stream(false);
    const progress = progressPrinter(out);
    progress.show(wait('waiting for web to be ready: not listening on its port yet', 200));
    progress.show(wait('waiting for web to be ready: not listening on its port yet', 400));
    progress.show(wait('waiting for web to be ready: listening', 600));
    progress.end();
    expect(text()).toBe('  … waiting for web to be ready: not listening on its port yet\n  … waiting for web to be ready: listening\n');
  });
});
