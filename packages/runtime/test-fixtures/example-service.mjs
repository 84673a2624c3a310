// A tiny service on the BUILT package (run `tsc -b packages/runtime` first), started as a real
// process by the system tests. Configured entirely through the environment.
import { setTimeout as sleep } from 'node:timers/promises';
import { startTracing } from '../dist/tracing.js';

// Tracing first: instrumentation has to patch fastify, pg and pino before they load.
const tracing = await startTracing({
  serviceName: 'example',
  version: process.env.APP_VERSION || 'dev',
  endpoint: process.env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined,
});

const { createService, loadConfig, runConfigOrExit, runtimeConfigSchema } = await import('../dist/index.js');

const config = runConfigOrExit(() => loadConfig(runtimeConfigSchema));
const service = await createService({ name: 'example', config });
if (tracing) service.onShutdown(() => tracing.shutdown());

service.app.get('/slow', async (request) => {
  const ms = Number(request.query.ms ?? 0);
  await sleep(ms);
  request.log.info({ ms }, 'slept');
  return { sleptMs: ms };
});

await service.start();
service.health.markStarted();
