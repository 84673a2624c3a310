#!/usr/bin/env node
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { loadSlipwayConfig, SlipwayConfigError } from './config/config.js';
import { EXIT, smokeCommand, UsageError, type SmokeCommandOptions } from './smoke/command.js';
import type { SmokeSuite } from './smoke/types.js';

const CONFIG_ERROR_EXIT = 78;

async function loadSuite(modulePath: string): Promise<SmokeSuite> {
  let mod: { suite?: SmokeSuite };
  try {
    mod = (await import(pathToFileURL(modulePath).href)) as { suite?: SmokeSuite };
  } catch (err) {
    throw new SlipwayConfigError(`smoke.suite: cannot import ${modulePath}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!mod.suite || !Array.isArray(mod.suite.checks))
    throw new SlipwayConfigError(`smoke.suite: ${modulePath} has no \`suite\` export with checks`);
  return mod.suite;
}

const program = new Command()
  .name('slipway')
  .description('Release, test and operate TypeScript web services')
  .option('-c, --config <file>', 'path to slipway.config.ts (default: found from the current folder upwards)')
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

program
  .command('smoke')
  .description('run the service’s smoke suite against a running release')
  .requiredOption('--target <url>', 'base URL of the release under test')
  .option('--token-file <file>', 'synthetic users’ API tokens (one token, or a JSON object of named tokens)')
  .option('--metrics-url <url>', 'the release’s /metrics (default: the target host on smoke.metricsPort)')
  .option('--expect-version <version>', 'the version label the release’s metrics must carry')
  .option('--junit <file>', 'also write a JUnit XML report')
  .option('--json', 'print the result as JSON instead of lines', false)
  .option('--timeout <duration>', 'budget for the whole run', '60s')
  .action(async (opts: Omit<SmokeCommandOptions, 'metricsPort'>) => {
    const { config, resolve } = await loadSlipwayConfig(process.cwd(), program.opts<{ config?: string }>().config);
    const suite = await loadSuite(resolve(config.smoke.suite));
    const tokenFile = opts.tokenFile ?? (config.smoke.tokenFile ? resolve(config.smoke.tokenFile) : undefined);
    process.exitCode = await smokeCommand(suite, { ...opts, tokenFile, metricsPort: config.smoke.metricsPort });
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : EXIT.usage;
    return;
  }
  if (err instanceof UsageError) {
    process.stderr.write(`slipway: ${err.message}\n`);
    process.exitCode = EXIT.usage;
    return;
  }
  if (err instanceof SlipwayConfigError) {
    process.stderr.write(`slipway: ${err.message}\n`);
    process.exitCode = CONFIG_ERROR_EXIT;
    return;
  }
  process.stderr.write(`slipway: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
