import { spawn } from 'node:child_process';
import { forEachLine } from '../lines.js';

export class CommandError extends Error {
  override readonly name = 'CommandError';
}

/**
 * Runs one command (`label` names it in errors: its config path, e.g. build.command, or the command itself) to
 * completion, passing each output line to `log`; fails with the command's last lines. A leading `node` is this Node.
 * With `captureStdout`, standard output is not logged but answered (a command's JSON).
 */
export function runCommand(
  label: string,
  command: readonly string[],
  options: { cwd: string; env?: Record<string, string>; timeoutMs?: number; captureStdout?: boolean },
  log: (line: string) => void,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const [program, ...args] = command;
    const child = spawn(program === 'node' ? process.execPath : program!, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tail: string[] = [];
    const collect = (line: string) => {
      if (!line) return;
      tail.push(line);
      if (tail.length > 20) tail.shift();
      log(line);
    };
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    let stdout = '';
    if (options.captureStdout) child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    else forEachLine(child.stdout, collect);
    forEachLine(child.stderr, collect);
    child.on('error', (err) => reject(new CommandError(`${label}: cannot run ${program}: ${err.message}`)));
    // 'close', not 'exit': the output is all in, so the tail is complete.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new CommandError(`${label} failed (${signal ? `killed by ${signal}` : `exit ${code}`}):\n${tail.join('\n')}`));
    });
  });
}
