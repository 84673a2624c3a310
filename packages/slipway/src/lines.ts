import type { Readable } from 'node:stream';

/**
 * Calls `onLine` for each line of a child's output stream, without its line ending (`\n` or `\r\n`); a line
 * split over several chunks arrives whole, a line longer than `maxChars` in pieces, an unterminated last line at the end.
 */
export function forEachLine(source: Readable, onLine: (line: string) => void, maxChars = 64 * 1024): void {
  source.setEncoding('utf8');
  let buffer = '';
  const emit = (raw: string) => onLine(raw.endsWith('\r') ? raw.slice(0, -1) : raw);
  source.on('data', (chunk: string) => {
    buffer += chunk;
    let newline: number;
    while ((newline = buffer.indexOf('\n')) !== -1) {
      emit(buffer.slice(0, newline));
      buffer = buffer.slice(newline + 1);
    }
    while (buffer.length > maxChars) {
      emit(buffer.slice(0, maxChars));
      buffer = buffer.slice(maxChars);
    }
  });
  source.on('end', () => {
    if (buffer.length > 0) emit(buffer);
    buffer = '';
  });
  source.on('error', () => undefined);
}
