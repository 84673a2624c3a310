import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ProgressLine } from './progress-line.js';

/** A terminal `columns` wide, keeping what is written to it. */
function terminal(columns: number) {
  const writes: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      writes.push(chunk.toString('utf8'));
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  Object.assign(stream, { isTTY: true, columns, rows: 50 });
  return { stream, writes };
}

// eslint-disable-next-line no-control-regex
const ERASE_LINE = /\u001b\[2K/g;
const rowsErased = (output: string) => output.match(ERASE_LINE)?.length ?? 0;

describe('ProgressLine', () => {
  it.each([20, 47, 80, 200])('on a terminal %i columns wide, erases every row a long status line took', (columns) => {
    const status = `candidate v2 10% · 120 req · 0.8% err · p95 31 ms | stable v1 90% · 1080 req · 0.1% err · p95 29 ms`;
    const { stream, writes } = terminal(columns);
    const line = new ProgressLine(stream);
    line.show(status);
    const drawn = writes.join('');
    writes.length = 0;
    line.clear();

    const rows = Math.ceil(status.length / columns);
    expect(drawn.split('\n').length - 1).toBe(rows);
    // eraseLines counts the row below the status, where the cursor waits, too.
    expect(rowsErased(writes.join(''))).toBe(rows + 1);
  });

  it('clears nothing when nothing is shown, and only once', () => {
    const { stream, writes } = terminal(80);
    const line = new ProgressLine(stream);
    line.clear();
    expect(writes).toEqual([]);
    line.show('status');
    line.clear();
    writes.length = 0;
    line.clear();
    expect(writes.join('')).toBe('');
  });
});
