// A tiny service on the BUILT package (run `tsc -b packages/runtime` first), started as a real
// process by the system tests. Configured entirely through the environment.
import { setTimeout as sleep } from 'node:timers/promises';
import { createService, loadConfig, runConfigOrExit, runtimeConfigSchema, startTracing } from '../dist/index.js';

const config = runConfigOrExit(() => loadConfig(runtimeConfigSchema));
// Before createService, which loads fastify and pino for the instrumentation to patch.
const tracing = await startTracing({
  serviceName: config.OTEL_SERVICE_NAME ?? 'example',
  version: config.APP_VERSION,
  endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
});

const service = await createService({ name: 'example', config, tracing });

service.app.get('/slow', async (request) => {
  const ms = Number(request.query.ms ?? 0);
  await sleep(ms);
  request.log.info({ ms }, 'slept');
  return { sleptMs: ms };
});

await service.start();
service.health.markStarted();
