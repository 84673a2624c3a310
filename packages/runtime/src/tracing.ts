import { register } from 'node:module';
import type { IncomingMessage } from 'node:http';
import { PROBE_PATHS } from './health-routes.js';

export interface TracingOptions {
  serviceName: string;
  version: string;
  /** OTLP/HTTP base URL (OTEL_EXPORTER_OTLP_ENDPOINT); tracing stays off without it. */
  endpoint: string | undefined;
}

export interface Tracing {
  /** Flushes pending spans; call it last during shutdown. */
  shutdown(): Promise<void>;
}

// Modules the instrumentations patch, which must go through the ESM loader hook.
const INSTRUMENTED_MODULES = ['pg', 'pg-pool', 'pino'];
const UNTRACED_PATHS = new Set<string>([...PROBE_PATHS, '/metrics']);

/**
 * Starts OpenTelemetry tracing (HTTP, pg and pino instrumentation; spans exported over
 * OTLP/HTTP to `${endpoint}/v1/traces`) — or returns null, without loading any OTel code,
 * when no endpoint is configured.
 *
 * Instrumentation works by patching modules as they are loaded, so call this first in the
 * entrypoint, before fastify or pg are imported and before createService/createLogger (this
 * package itself loads fastify, pino and pg only when those are called). ESM evaluates every
 * static import before the importing module's body, so import the app's own modules that use
 * fastify or pg dynamically afterwards:
 *
 *   const config = runConfigOrExit(() => loadConfig(schema));
 *   const tracing = await startTracing({ serviceName, version, endpoint });
 *   const { runApi } = await import('./api.js');
 */
export async function startTracing({ serviceName, version, endpoint }: TracingOptions): Promise<Tracing | null> {
  if (!endpoint) return null;

  registerEsmLoaderHook();
  const [{ NodeSDK, resources }, { OTLPTraceExporter }, { HttpInstrumentation }, { PgInstrumentation }, { PinoInstrumentation }] =
    await Promise.all([
      import('@opentelemetry/sdk-node'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/instrumentation-http'),
      import('@opentelemetry/instrumentation-pg'),
      import('@opentelemetry/instrumentation-pino'),
    ]);

  const sdk = new NodeSDK({
    resource: resources.resourceFromAttributes({
      'service.name': serviceName,
      'service.version': version,
    }),
    traceExporter: new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces` }),
    // Traces only: metrics go through prom-client and logs to stdout. Without these the SDK
    // would also start OTLP metric and log exporters from OTEL_* defaults.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request: IncomingMessage) => UNTRACED_PATHS.has((request.url ?? '').split('?', 1)[0] ?? ''),
      }),
      new PgInstrumentation(),
      // Adds trace_id/span_id to log lines; the lines themselves stay on stdout.
      new PinoInstrumentation({ disableLogSending: true }),
    ],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}

// pg is CommonJS and gets patched through require hooks, but pino imported from ESM only
// passes through import-in-the-middle's loader hook. It is resolved from the SDK's own
// location because @opentelemetry/instrumentation is the SDK's dependency, not ours.
function registerEsmLoaderHook(): void {
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.resolve('@opentelemetry/sdk-node'), {
    data: { include: INSTRUMENTED_MODULES },
  });
}
