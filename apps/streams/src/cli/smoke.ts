import { parseArgs } from 'node:util';
import { smokeCommand, UsageError, EXIT, type TokenFile } from '@slipway/slipway/smoke';
import { suite } from '../smoke/index.js';

/** `streams smoke`: the same suite and runner as `slipway smoke`, from inside the service's own image (a Job, a helm test). */
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
      },
    });
    if (!values.target) throw new UsageError('--target is required (base URL of the release under test)');
    return await smokeCommand(suite, {
      target: values.target,
      tokenFile: tokenFile(values['token-file']),
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

/** --token-file, else SMOKE_TOKEN_FILE (a Job's mounted Secret), named as such when the file is wrong. */
function tokenFile(flag: string | undefined): TokenFile | undefined {
  if (flag !== undefined) return { path: flag, source: '--token-file' };
  const env = process.env.SMOKE_TOKEN_FILE;
  return env ? { path: env, source: 'SMOKE_TOKEN_FILE' } : undefined;
}
