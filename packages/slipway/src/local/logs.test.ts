import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogSink, formatClock } from './logs.js';

function capture(pretty: boolean, colour = true) {
  const out = new PassThrough();
  const chunks: string[] = [];
  out.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  const sink = createLogSink({ pretty, out, colour });
  return { sink, lines: () => chunks.join('').split('\n').slice(0, -1), text: () => chunks.join('') };
}

// eslint-disable-next-line no-control-regex
const stripAnsi = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '');
// eslint-disable-next-line no-control-regex
const ANSI_AT_END = /\u001b\[[0-9;]*m$/;
const api1 = { release: 'v2', process: 'api#1' };

describe('createLogSink, JSON mode', () => {
  it("passes a child's pino line on with release and process added", () => {
    const { sink, lines } = capture(false);
    const line = JSON.stringify({ level: 30, time: 1_700_000_000_000, pid: 42, msg: 'request completed', req: { url: '/x' } });
    sink.child(line, 'stdout', api1);
    expect(lines()).toHaveLength(1);
    expect(JSON.parse(lines()[0] as string)).toEqual({
      level: 30,
      time: 1_700_000_000_000,
      pid: 42,
      msg: 'request completed',
      req: { url: '/x' },
      release: 'v2',
      process: 'api#1',
    });
  });

  it('wraps non-JSON child lines, level 30 for stdout and 50 for stderr', () => {
    const { sink, lines } = capture(false);
    const before = Date.now();
    sink.child('plain words', 'stdout', api1);
    sink.child('Error: boom', 'stderr', { release: 'v3', process: 'worker#2' });
    sink.child('[1, 2]', 'stdout', api1); // JSON, but not an object
    sink.child('{"broken": ', 'stdout', api1);
    const [a, b, c, d] = lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(a).toEqual({ level: 30, time: expect.any(Number), msg: 'plain words', release: 'v2', process: 'api#1' });
    expect(a?.time).toBeGreaterThanOrEqual(before);
    expect(b).toEqual({ level: 50, time: expect.any(Number), msg: 'Error: boom', release: 'v3', process: 'worker#2' });
    expect(c).toMatchObject({ level: 30, msg: '[1, 2]' });
    expect(d).toMatchObject({ level: 30, msg: '{"broken": ' });
  });

  it("writes the supervisor's own lines with source slipway and its fields", () => {
    const { sink, lines } = capture(false);
    sink.own('warn', 'api#1 (v2) failed liveness', { release: 'v2', restarts: 2, err: new Error('nope') });
    const record = JSON.parse(lines()[0] as string) as Record<string, unknown>;
    expect(record).toMatchObject({ level: 40, msg: 'api#1 (v2) failed liveness', source: 'slipway', release: 'v2', restarts: 2 });
    expect(record.time).toEqual(expect.any(Number));
    expect(record.err).toMatchObject({ type: 'Error', message: 'nope', stack: expect.stringContaining('Error: nope') });
    sink.own('info', 'hello');
    sink.own('error', 'bad');
    expect(lines().map((l) => (JSON.parse(l) as { level: number }).level)).toEqual([40, 30, 50]);
  });

  it('writes exactly one line per call, even for messages with newlines', () => {
    const { sink, text } = capture(false);
    sink.own('info', 'two\nlines');
    sink.child('{"level":30,"msg":"a\\nb"}', 'stdout', api1);
    expect(text().split('\n')).toHaveLength(3);
  });
});

describe('createLogSink, pretty mode', () => {
  it('renders time, level, process, release, message and the interesting fields', () => {
    const { sink, lines } = capture(true);
    const time = new Date(2024, 0, 2, 3, 4, 5, 67).getTime();
    sink.child(
      JSON.stringify({
        level: 30,
        time,
        pid: 42,
        hostname: 'box',
        service: 'streams',
        version: 'v2',
        msg: 'request completed',
        statusCode: 200,
        path: '/a b',
      }),
      'stdout',
      api1,
    );
    const raw = lines()[0] as string;
    expect(raw).toContain('\u001b[32mINFO'); // green level
    expect(stripAnsi(raw)).toBe('03:04:05.067 INFO  api#1   v2  request completed statusCode=200 path="/a b"');
  });

  it('maps numeric and label levels, and colours them', () => {
    const { sink, lines } = capture(true);
    sink.child('{"level":50,"msg":"failed"}', 'stdout', api1);
    sink.child('{"level":"warn","msg":"careful"}', 'stdout', api1);
    sink.child('{"level":20,"msg":"details"}', 'stdout', api1);
    sink.child('{"level":60,"msg":"dead"}', 'stdout', api1);
    sink.child('{"msg":"no level"}', 'stderr', api1);
    const levels = lines().map((l) => stripAnsi(l).slice(13, 18));
    expect(levels).toEqual(['ERROR', 'WARN ', 'DEBUG', 'FATAL', 'ERROR']);
    expect(lines()[0]).toContain('\u001b[31mERROR');
    expect(lines()[1]).toContain('\u001b[33mWARN');
  });

  it('accepts ISO times (as @slipway/runtime writes them)', () => {
    const { sink, lines } = capture(true);
    const at = new Date(2024, 5, 6, 7, 8, 9, 10);
    sink.child(JSON.stringify({ level: 'info', time: at.toISOString(), msg: 'hi' }), 'stdout', api1);
    expect(stripAnsi(lines()[0] as string).startsWith(`${formatClock(at)} INFO  `)).toBe(true);
    expect(formatClock(at)).toBe('07:08:09.010');
  });

  it('gives each process its own colour', () => {
    const { sink, lines } = capture(true);
    sink.child('one', 'stdout', api1);
    sink.child('two', 'stdout', { release: 'v2', process: 'api#2' });
    sink.child('three', 'stdout', api1);
    const colourBefore = (line: string, name: string) => {
      const at = line.indexOf(name);
      const match = ANSI_AT_END.exec(line.slice(0, at));
      return match?.[0];
    };
    const [a, b, c] = lines() as [string, string, string];
    expect(colourBefore(a, 'api#1')).toBeDefined();
    expect(colourBefore(a, 'api#1')).not.toBe(colourBefore(b, 'api#2'));
    expect(colourBefore(c, 'api#1')).toBe(colourBefore(a, 'api#1'));
  });

  it('shows plain stderr lines as errors and own lines as slipway', () => {
    const { sink, lines } = capture(true);
    sink.child('Error: boom', 'stderr', api1);
    sink.own('warn', 'api#1 (v2) failed liveness 3 times', { release: 'v2', restarts: 1 });
    const [child, own] = lines().map(stripAnsi);
    expect(child).toMatch(/^\d\d:\d\d:\d\d\.\d{3} ERROR api#1 {3}v2 {2}Error: boom$/);
    expect(own).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN {2}slipway v2 {2}api#1 \(v2\) failed liveness 3 times restarts=1$/);
  });

  it('keeps the layout without a single escape sequence when colours are off (NO_COLOR)', () => {
    const { sink, lines } = capture(true, false);
    sink.child('{"level":50,"msg":"failed","code":7}', 'stdout', api1);
    sink.own('warn', 'careful');
    expect(lines().join('\n')).not.toContain('\u001b');
    expect(lines()[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} ERROR api#1 {3}v2 {2}failed code=7$/);
    expect(lines()[1]).toMatch(/ WARN {2}slipway {5}careful$/);
  });

  it('prints error stacks below the line and escapes control characters from children', () => {
    const { sink, lines } = capture(true);
    sink.child(
      JSON.stringify({
        level: 50,
        msg: 'crash \u001b[2J',
        err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at x (y.js:1:1)' },
      }),
      'stdout',
      api1,
    );
    const out = lines().map(stripAnsi);
    expect(out[0]).toMatch(/ERROR api#1 {3}v2 {2}crash \\u001b\[2J err=boom$/);
    expect(out.slice(1)).toEqual(['    Error: boom', '        at x (y.js:1:1)']);
  });
});
