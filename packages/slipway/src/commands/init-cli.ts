import type { Command } from 'commander';
import type { LoadedConfig } from '../config/config.js';
import { EXIT } from '../exit-codes.js';
import { terminalQuestions } from '../init/ask.js';
import { doctorCommand } from './doctor.js';
import { ConfigExistsError, printInit, runInit, type InitOptions } from './init.js';

/** `slipway init` and `slipway doctor` on the program; `loadConfig` reads the config the global options name. */
export function registerInitAndDoctor(program: Command, loadConfig: (cwd?: string) => Promise<LoadedConfig>): void {
  const doctor = async (opts: { build: boolean; json: boolean }, cwd?: string) => {
    process.exitCode = await doctorCommand(await loadConfig(cwd), opts, process.stdout, process.stderr);
  };

  program
    .command('init')
    .description(
      'write a commented slipway.config.ts for the service in this folder: detects its start and build commands, port variable, health path and database',
    )
    .argument('[folder]', "the service's folder (with its package.json)", '.')
    .option('-y, --yes', 'ask nothing: take what was detected, and the flags', false)
    .option('--start <command>', 'the command that starts the service, e.g. "node dist/server.js"')
    .option('--build <command>', 'the build command ("none": nothing to build)')
    .option('--port-env <name>', 'the variable the service reads its HTTP port from (default: detected, else PORT)')
    .option('--health-path <path>', 'a path the service answers with 200 when it can serve (default: detected, else /healthz)')
    .option('--runtime-probes', "probe the runtime kit's routes (@slipway/runtime: /health/startup, /health/ready, /health/live)")
    .option('--force', 'write over an existing slipway.config.ts', false)
    .option('--check', 'write nothing: check the existing config as slipway doctor does', false)
    .option('--json', 'print what was detected and written as JSON', false)
    .action(async (folder: string, opts: Omit<InitOptions, 'dir'> & { yes: boolean; check: boolean }) => {
      if (opts.check) return doctor({ build: true, json: opts.json }, folder);
      const ask = !opts.yes && !opts.json && process.stdin.isTTY === true;
      const questions = ask ? terminalQuestions(process.stdin, process.stderr) : null;
      try {
        const result = await runInit({ ...opts, dir: folder }, questions, process.stderr);
        process.exitCode = printInit(result, opts.json, process.stdout);
      } catch (err) {
        if (!(err instanceof ConfigExistsError)) throw err;
        process.stderr.write(`slipway: ${err.message}\n`);
        process.exitCode = EXIT.blocked;
      } finally {
        questions?.close();
      }
    });

  program
    .command('doctor')
    .description(
      'start the service once as slipway up would and say what is wrong: crashes, never ready, wrong port variable, health path 404, failing smoke checks',
    )
    .option('--no-build', 'use the working tree as it is, without running build.command')
    .option('--json', 'print the findings as JSON', false)
    .action((opts: { build: boolean; json: boolean }) => doctor(opts));
}
