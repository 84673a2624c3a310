import { closeSync, fstatSync, ftruncateSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { lineSplitter } from '../lines.js';

/** How often a followed file is read. */
const POLL_MS = 100;
const CHUNK = 64 * 1024;

/**
 * A child's stdout or stderr as a file it appends to, followed line by line. A file, not a pipe: the process must
 * be able to write on while no supervisor reads (a pipe whose reader died fails every write), as container
 * runtimes keep a container's output. Once everything in it has been read and it holds more than `maxBytes`, it is
 * emptied (logrotate's copytruncate; a line written at that very instant can be lost).
 */
export class OutputFile {
  private fd: number | null = null;
  private offset = 0;
  private lines = lineSplitter(() => undefined);
  private decoder = new StringDecoder('utf8');
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly file: string,
    private readonly onLine: (line: string) => void,
    private readonly options: { maxLineChars?: number; maxBytes?: number } = {},
  ) {}

  /** A descriptor for the child's stdio (append mode); the caller closes it once the child is spawned. */
  openForChild(): number {
    return openSync(this.file, 'a', 0o600);
  }

  /** Starts following the file from its current end (or from the byte offset given). */
  follow(from: 'end' | number = 'end'): void {
    this.stop();
    this.fd = openSync(this.file, 'a+', 0o600);
    this.offset = from === 'end' ? fstatSync(this.fd).size : from;
    this.lines = lineSplitter(this.onLine, this.options.maxLineChars);
    this.decoder = new StringDecoder('utf8');
    this.timer = setInterval(() => this.read(), POLL_MS);
    this.timer.unref();
  }

  /** Reads what has been written so far and passes on every complete line. */
  read(): void {
    try {
      this.readAvailable();
    } catch {
      // The file went away (its release's logs were removed): nothing more to follow.
      this.stop();
    }
  }

  private readAvailable(): void {
    if (this.fd === null) return;
    const size = fstatSync(this.fd).size;
    if (size < this.offset) this.offset = 0; // emptied by someone else
    const buffer = Buffer.alloc(CHUNK);
    while (this.offset < size) {
      const n = readSync(this.fd, buffer, 0, CHUNK, this.offset);
      if (n <= 0) break;
      this.offset += n;
      this.lines.push(this.decoder.write(buffer.subarray(0, n)));
    }
    const max = this.options.maxBytes ?? 16 * 1024 * 1024;
    if (this.offset >= max && this.offset === fstatSync(this.fd).size) {
      ftruncateSync(this.fd, 0);
      this.offset = 0;
    }
  }

  /** Reads the rest, passes on an unterminated last line, and stops following. */
  finish(): void {
    this.read();
    this.lines.end();
    this.stop();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
