import { closeSync, fstatSync, openSync, readSync, truncateSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

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
  private partial = '';
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

  /** Starts following: from the beginning of what is in the file, or (an adopted process) from its current end. */
  follow(from: 'start' | 'end'): void {
    this.stop();
    this.fd = openSync(this.file, 'a+', 0o600);
    this.offset = from === 'end' ? fstatSync(this.fd).size : 0;
    this.partial = '';
    this.decoder = new StringDecoder('utf8');
    this.timer = setInterval(() => this.read(), POLL_MS);
    this.timer.unref();
  }

  /** Reads what has been written so far and passes on every complete line. */
  read(): void {
    if (this.fd === null) return;
    const size = fstatSync(this.fd).size;
    if (size < this.offset) this.offset = 0; // emptied by someone else
    const buffer = Buffer.alloc(CHUNK);
    while (this.offset < size) {
      const n = readSync(this.fd, buffer, 0, CHUNK, this.offset);
      if (n <= 0) break;
      this.offset += n;
      this.push(this.decoder.write(buffer.subarray(0, n)));
    }
    const max = this.options.maxBytes ?? 16 * 1024 * 1024;
    if (this.offset >= max && this.offset === fstatSync(this.fd).size) {
      truncateSync(this.file, 0);
      this.offset = 0;
    }
  }

  /** Reads the rest, passes on an unterminated last line, and stops following. */
  finish(): void {
    this.read();
    if (this.partial) this.emit(this.partial);
    this.partial = '';
    this.stop();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private push(text: string): void {
    const max = this.options.maxLineChars ?? 64 * 1024;
    let buffer = this.partial + text;
    let newline: number;
    while ((newline = buffer.indexOf('\n')) !== -1) {
      this.emit(buffer.slice(0, newline));
      buffer = buffer.slice(newline + 1);
    }
    while (buffer.length > max) {
      this.emit(buffer.slice(0, max));
      buffer = buffer.slice(max);
    }
    this.partial = buffer;
  }

  private emit(raw: string): void {
    this.onLine(raw.endsWith('\r') ? raw.slice(0, -1) : raw);
  }
}
