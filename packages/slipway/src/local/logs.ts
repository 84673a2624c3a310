/**
 * One output stream for the supervisor and every process it runs.
 *
 * - JSON mode (not a terminal): one JSON object per line, pino-compatible. A child's JSON line is passed on with
 *   `release` and `process` added; any other child line becomes `{level: 30 (stdout) | 50 (stderr), time, msg, release,
 *   process}`; the supervisor's own lines are `{level, time, msg, source: 'slipway', ...fields}` with numeric levels.
 * - Pretty mode (a terminal): `HH:MM:SS.mmm INFO  api#1 v2   message key=value …`, coloured by level and by process.
 */

import { palette, wantsColour, type Palette } from '../colour.js';

export type ChildStream = 'stdout' | 'stderr';
export type OwnLevel = 'info' | 'warn' | 'error';

export interface LogSink {
  /** One line a child wrote (without the newline). */
  child(line: string, stream: ChildStream, source: { release: string; process: string }): void;
  /** A line of the supervisor's own. */
  own(level: OwnLevel, message: string, fields?: Record<string, unknown>): void;
}

export interface LogSinkOptions {
  pretty: boolean;
  out: NodeJS.WritableStream;
  /** Pretty mode in colour; default: as colour.ts's wantsColour says for `out` (NO_COLOR, a terminal). */
  colour?: boolean;
}

/** pino's numeric levels. */
const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;

/** Fields pretty mode does not show as key=value: the line's frame (time, level, prefix, message) or noise on one machine. */
const NOISY_FIELDS = ['pid', 'hostname', 'time', 'level', 'msg', 'service', 'version', 'release'];
const HIDDEN_CHILD_FIELDS = new Set([...NOISY_FIELDS, 'process']);
const HIDDEN_OWN_FIELDS = new Set([...NOISY_FIELDS, 'source']);

type Paint = (text: string) => string;

/** Colours by level, and per process (handed out in order of first appearance). */
function logColours(c: Palette) {
  const levels: Record<string, Paint> = {
    TRACE: c.gray,
    DEBUG: c.cyan,
    INFO: c.green,
    WARN: c.yellow,
    ERROR: c.red,
    FATAL: (text) => c.bold(c.bgRed(c.whiteBright(text))),
  };
  const processes: Paint[] = [
    c.cyan,
    c.magenta,
    c.blue,
    c.yellow,
    c.green,
    c.cyanBright,
    c.magentaBright,
    c.blueBright,
    c.yellowBright,
    c.greenBright,
  ];
  return { levels, processes, own: c.bold, dim: c.dim };
}

export function createLogSink(options: LogSinkOptions): LogSink {
  const { out } = options;
  const write = (line: string): void => {
    out.write(`${line}\n`);
  };

  if (!options.pretty) {
    return {
      child(line, stream, source) {
        const parsed = parseObject(line);
        const record = parsed
          ? { ...parsed, release: source.release, process: source.process }
          : {
              level: stream === 'stderr' ? LEVELS.error : LEVELS.info,
              time: Date.now(),
              msg: line,
              release: source.release,
              process: source.process,
            };
        write(safeStringify(record));
      },
      own(level, message, fields) {
        write(safeStringify({ level: LEVELS[level], time: Date.now(), msg: message, source: 'slipway', ...serializeFields(fields) }));
      },
    };
  }

  const paint = logColours(palette(options.colour ?? wantsColour(out as { isTTY?: boolean })));
  const colours = new Map<string, Paint>();
  let processWidth = 'slipway'.length;
  let releaseWidth = 0;
  const colourOf = (key: string): Paint => {
    let colour = colours.get(key);
    if (colour === undefined) {
      colour = paint.processes[colours.size % paint.processes.length]!;
      colours.set(key, colour);
    }
    return colour;
  };

  const render = (
    time: Date,
    level: string,
    who: string,
    whoColour: Paint,
    release: string,
    msg: string,
    rest: Record<string, unknown>,
  ) => {
    processWidth = Math.max(processWidth, who.length);
    releaseWidth = Math.max(releaseWidth, release.length);
    const levelColour = paint.levels[level] ?? ((text: string) => text);
    const prefix =
      `${paint.dim(formatClock(time))} ${levelColour(level.padEnd(5))} ` +
      `${whoColour(who.padEnd(processWidth))} ${paint.dim(release.padEnd(releaseWidth))}`;
    const { pairs, blocks } = formatFields(rest);
    const text = escapeControls(msg);
    const head = `${prefix}  ${text}${pairs ? ` ${paint.dim(pairs)}` : ''}`;
    write(blocks.length > 0 ? `${head}\n${blocks.map((b) => indent(b)).join('\n')}` : head);
  };

  return {
    child(line, stream, source) {
      const colour = colourOf(`${source.release}\u0000${source.process}`);
      const parsed = parseObject(line);
      if (!parsed) {
        render(new Date(), stream === 'stderr' ? 'ERROR' : 'INFO', source.process, colour, source.release, line, {});
        return;
      }
      const msg = typeof parsed.msg === 'string' ? parsed.msg : parsed.msg === undefined ? '' : safeStringify(parsed.msg);
      const rest = omit(parsed, HIDDEN_CHILD_FIELDS);
      render(parseTime(parsed.time), levelLabel(parsed.level, stream), source.process, colour, source.release, msg, rest);
    },
    own(level, message, fields) {
      const release = typeof fields?.release === 'string' ? fields.release : '';
      render(new Date(), level.toUpperCase(), 'slipway', paint.own, release, message, omit(serializeFields(fields), HIDDEN_OWN_FIELDS));
    },
  };
}

/** The line as a plain JSON object, or null (not JSON, or an array / a scalar). */
export function parseObject(line: string): Record<string, unknown> | null {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return null;
  try {
    const parsed = JSON.parse(trimmed) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function omit(fields: Record<string, unknown>, hidden: ReadonlySet<string>): Record<string, unknown> {
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) if (!hidden.has(key)) rest[key] = value;
  return rest;
}

/** pino's numeric level or a label ("info", as `@slipway/runtime` writes them) → `INFO`; unknown → by stream. */
function levelLabel(level: unknown, stream: ChildStream): string {
  if (typeof level === 'number') {
    if (level >= 60) return 'FATAL';
    if (level >= 50) return 'ERROR';
    if (level >= 40) return 'WARN';
    if (level >= 30) return 'INFO';
    if (level >= 20) return 'DEBUG';
    return 'TRACE';
  }
  if (typeof level === 'string' && level.toLowerCase() in LEVELS) return level.toUpperCase();
  return stream === 'stderr' ? 'ERROR' : 'INFO';
}

/** pino's `time`: ms since the epoch, or an ISO string (pino's isoTime); now if absent or unreadable. */
function parseTime(time: unknown): Date {
  if (typeof time === 'number' || typeof time === 'string') {
    const date = new Date(time);
    if (!Number.isNaN(date.getTime())) return date;
  }
  return new Date();
}

/** Local wall-clock time `HH:MM:SS.mmm`. */
export function formatClock(date: Date): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** `key=value` pairs for one line; error stacks as separate blocks below it. */
function formatFields(fields: Record<string, unknown>): { pairs: string; blocks: string[] } {
  const pairs: string[] = [];
  const blocks: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (isErrorLike(value)) {
      pairs.push(`${key}=${formatValue(value.message)}`);
      if (typeof value.stack === 'string') blocks.push(escapeControls(value.stack, true));
      continue;
    }
    pairs.push(`${key}=${formatValue(value)}`);
  }
  return { pairs: pairs.join(' '), blocks };
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return escapeControls(value === '' || /[\s"=]/.test(value) ? JSON.stringify(value) : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return escapeControls(safeStringify(value));
}

function isErrorLike(value: unknown): value is { message: string; stack?: unknown } {
  return typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string' && 'stack' in value;
}

/** Error values as pino serializes them (`{type, message, stack}`), so that JSON.stringify keeps them. */
function serializeFields(fields: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!fields) return {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = value instanceof Error ? { type: value.name, message: value.message, stack: value.stack } : value;
  }
  return out;
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? 'null';
  } catch {
    return JSON.stringify(String(value));
  }
}

/** A child must not be able to move the cursor or recolour the terminal: control characters are shown escaped. */
function escapeControls(text: string, keepNewlines = false): string {
  // eslint-disable-next-line no-control-regex
  const pattern = keepNewlines ? /[\u0000-\u0008\u000b-\u001f\u007f]/g : /[\u0000-\u0008\u000a-\u001f\u007f]/g;
  return text.replace(pattern, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function indent(block: string): string {
  return block
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}
