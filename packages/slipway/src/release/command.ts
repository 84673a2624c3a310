import { spawn } from 'node:child_process';
import { forEachLine } from '../lines.js';

class CommandError extends Error {
  override readonly name = 'CommandError';
}

/**
 * Runs one configured command (`label` is its config path, e.g. build.command) to completion, passing each
 * output line to `log`; fails with the command's last lines. A leading `node` is this Node.
 */
export function runCommand(
  label: string,
  command: readonly string[],
  options: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
  log: (line: string) => void,
): Promise<void> {
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
    forEachLine(child.stdout, collect);
    forEachLine(child.stderr, collect);
    child.on('error', (err) => reject(new CommandError(`${label}: cannot run ${program}: ${err.message}`)));
    // 'close', not 'exit': the output is all in, so the tail is complete.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new CommandError(`${label} failed (${signal ? `killed by ${signal}` : `exit ${code}`}):\n${tail.join('\n')}`));
    });
  });
}
