import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { smokeCommand, UsageError, EXIT, type TokenFile } from '@slipway/slipway/smoke';
import { suite } from '../smoke/index.js';

/**
 * `streams smoke`: the same suite and runner as `slipway smoke`, from inside the service's own image (a Job, a helm
 * test, a compose service). With --bootstrap it first prepares the synthetic users itself, so one container needs
 * nothing but DATABASE_URL and the target.
 */
export async function runSmokeCli(argv: string[]): Promise<number> {
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        target: { type: 'string' },
        'token-file': { type: 'string' },
        'metrics-url': { type: 'string' },
        'expect-version': { type: 'string' },
        junit: { type: 'string' },
        json: { type: 'boolean', default: false },
        timeout: { type: 'string', default: '60s' },
        bootstrap: { type: 'boolean', default: false },
      },
    });
    if (!values.target) throw new UsageError('--target is required (base URL of the release under test)');
    let tokens = tokenFile(values['token-file']);
    if (values.bootstrap) {
      tokens ??= { path: path.join(os.tmpdir(), 'smoke-tokens.json'), source: '--bootstrap' };
      await bootstrapSyntheticUsers(tokens.path);
    }
    return await smokeCommand(suite, {
      target: values.target,
      tokenFile: tokens,
      metricsUrl: values['metrics-url'],
      metricsPort: Number(process.env.METRICS_PORT ?? 9464),
      expectVersion: values['expect-version'],
      junit: values.junit,
      json: values.json,
      timeout: values.timeout,
    });
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`streams smoke: ${(err as Error).message}\n`);
      return EXIT.usage;
    }
    throw err;
  }
}

/** `streams synthetic:bootstrap --token-file <file>`, in this process; its report goes to stderr (stdout may be --json). */
async function bootstrapSyntheticUsers(file: string): Promise<void> {
  const [{ loadStreamsConfig }, { runAdminCommand }, { createLogger, runConfigOrExit }] = await Promise.all([
    import('../config.js'),
    import('./admin.js'),
    import('@slipway/runtime'),
  ]);
  const config = runConfigOrExit(() => loadStreamsConfig());
  const logger = createLogger({ service: 'streams', version: config.APP_VERSION, level: config.LOG_LEVEL });
  await runAdminCommand('synthetic:bootstrap', ['--token-file', file], config, logger, process.stderr);
}

/** --token-file, else SMOKE_TOKEN_FILE (a Job's mounted Secret), named as such when the file is wrong. */
function tokenFile(flag: string | undefined): TokenFile | undefined {
  if (flag !== undefined) return { path: flag, source: '--token-file' };
  const env = process.env.SMOKE_TOKEN_FILE;
  return env ? { path: env, source: 'SMOKE_TOKEN_FILE' } : undefined;
}
