import type { Readable } from 'node:stream';

/**
 * Splits text that arrives in pieces into lines, without their line ending (`\n` or `\r\n`): a line split over several
 * pieces comes out whole, a line longer than `maxChars` in pieces, and `end()` passes on an unterminated last line.
 */
export function lineSplitter(onLine: (line: string) => void, maxChars = 64 * 1024): { push(text: string): void; end(): void } {
  let buffer = '';
  const emit = (raw: string) => onLine(raw.endsWith('\r') ? raw.slice(0, -1) : raw);
  return {
    push(text) {
      buffer += text;
      let newline: number;
      while ((newline = buffer.indexOf('\n')) !== -1) {
        emit(buffer.slice(0, newline));
        buffer = buffer.slice(newline + 1);
      }
      while (buffer.length > maxChars) {
        emit(buffer.slice(0, maxChars));
        buffer = buffer.slice(maxChars);
      }
    },
    end() {
      if (buffer.length > 0) emit(buffer);
      buffer = '';
    },
  };
}

/** Calls `onLine` for each line of a child's output stream (see lineSplitter). */
export function forEachLine(source: Readable, onLine: (line: string) => void, maxChars = 64 * 1024): void {
  source.setEncoding('utf8');
  const lines = lineSplitter(onLine, maxChars);
  source.on('data', (chunk: string) => lines.push(chunk));
  source.on('end', () => lines.end());
  source.on('error', () => undefined);
}
