#!/usr/bin/env node
// `npm start`: build what is out of date, then `slipway up`: the streams service on its embedded default,
// released and supervised by Slipway (router on port 3000, replicas, worker, control socket).
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

// tsc -b is incremental: near-instant when nothing changed.
run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-b', 'packages/runtime', 'packages/slipway', 'apps/streams']);
const webIndex = path.join(root, 'apps/streams/web/dist/index.html');
if (!existsSync(webIndex) || statSync(webIndex).mtimeMs < newestMtime(path.join(root, 'apps/streams/web'))) {
  run('npm', ['run', 'build', '--silent', '-w', '@slipway/streams-web']);
}

const child = spawn(process.execPath, [path.join(root, 'packages/slipway/dist/cli.js'), 'up', '--no-build', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
// The stack handles Ctrl-C itself; this wrapper only waits and passes the exit code on.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
