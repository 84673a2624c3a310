import { createLogUpdate } from 'log-update';

/**
 * A status line redrawn in place below the lines printed before it. log-update wraps it to the terminal's width and
 * erases every row it drew, so a line wider than the terminal does not leave copies of itself behind.
 */
export class ProgressLine {
  private readonly draw: ReturnType<typeof createLogUpdate>;
  private shown = false;

  constructor(stream: NodeJS.WriteStream) {
    this.draw = createLogUpdate(stream, { showCursor: true });
  }

  show(text: string): void {
    this.draw(text);
    this.shown = true;
  }

  /** Takes the line away, so that ordinary output goes where it stood. */
  clear(): void {
    if (this.shown) this.draw.clear();
    this.shown = false;
  }
}
