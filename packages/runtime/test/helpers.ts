import { Writable } from 'node:stream';
import { loadConfig, runtimeConfigSchema, type RuntimeConfig } from '../src/config.js';
import { createLogger } from '../src/logging.js';
import { createService, type CreateServiceOptions, type Service } from '../src/service.js';

export const TEST_VERSION = '1.2.3-test';
export const ADMIN_TOKEN = 'test-admin-token-0123456789';

/** RuntimeConfig from `env`, with listening ports that never collide in tests. */
export function testConfig(env: Record<string, string> = {}): RuntimeConfig {
  return loadConfig(runtimeConfigSchema, { PORT: '0', METRICS_PORT: '0', APP_VERSION: TEST_VERSION, ...env });
}

export interface CapturedLogs {
  stream: Writable;
  lines: string[];
  text(): string;
  records(): Record<string, unknown>[];
}

export function captureLogs(): CapturedLogs {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((line) => line !== ''),
      );
      callback();
    },
  });
  return {
    stream,
    lines,
    text: () => lines.join('\n'),
    records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/** A service (never listening; use `app.inject`) whose logs are captured. */
export async function testService(
  env: Record<string, string> = {},
  fastifyOptions?: CreateServiceOptions['fastifyOptions'],
): Promise<{ service: Service; logs: CapturedLogs }> {
  const logs = captureLogs();
  const config = testConfig(env);
  const logger = createLogger({ service: 'test', version: TEST_VERSION, level: 'debug', destination: logs.stream });
  const service = await createService({ name: 'test', config, logger, fastifyOptions });
  return { service, logs };
}
