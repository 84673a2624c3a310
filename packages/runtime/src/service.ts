import type { AddressInfo } from 'node:net';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyServerOptions } from 'fastify';
import type pino from 'pino';
import type { RuntimeConfig } from './config.js';
import { faultAdminRoutes, faultInjection } from './fault-routes.js';
import { Faults } from './faults.js';
import { Health } from './health.js';
import { healthRoutes } from './health-routes.js';
import { registerErrorHandling, toErrorResponse } from './http-errors.js';
import { httpMetrics } from './http-metrics.js';
import { createLogger, flushLogger } from './logging.js';
import { createMetrics, type Metrics } from './metrics.js';
import { startMetricsServer, type MetricsServer } from './metrics-server.js';
import { REQUEST_ID_HEADER, requestIdFrom } from './request-id.js';
import { createGracefulShutdown, type ShutdownStep } from './shutdown.js';
import type { Tracing } from './tracing.js';

export interface CreateServiceOptions<C extends RuntimeConfig = RuntimeConfig> {
  name: string;
  config: C;
  /** Defaults to `createLogger()` with the service name, APP_VERSION and LOG_LEVEL. */
  logger?: pino.Logger;
  /** Extra Fastify options (bodyLimit, trustProxy, ...). The logger is always ours. */
  fastifyOptions?: Omit<FastifyServerOptions, 'logger' | 'loggerInstance'>;
  /** From startTracing: flushed by the first onShutdown hook, so it runs last and spans from the whole shutdown are exported. */
  tracing?: Tracing | null;
}

export interface StartedService {
  /** A URL this process can reach the server on (wildcard hosts become loopback). */
  url: string;
  port: number;
  metricsPort: number | null;
}

export interface Service<C extends RuntimeConfig = RuntimeConfig> {
  app: FastifyInstance;
  logger: pino.Logger;
  metrics: Metrics;
  health: Health;
  faults: Faults;
  config: C;
  /** Runs during shutdown after the HTTP server closed, in reverse registration order. */
  onShutdown(fn: () => Promise<void> | void): void;
  /** Listens, starts the metrics server and installs SIGTERM/SIGINT handlers. */
  start(): Promise<StartedService>;
  /** Graceful shutdown (see createGracefulShutdown); ends the process. */
  shutdown(reason: string): Promise<void>;
}

export async function createService<C extends RuntimeConfig>(options: CreateServiceOptions<C>): Promise<Service<C>> {
  const { name, config, tracing } = options;
  // Imported here rather than at the top so that an entrypoint can import this package and
  // still start tracing before fastify (and the http module patching it relies on) loads.
  const { default: Fastify, LogController } = await import('fastify');
  const logger = options.logger ?? createLogger({ service: name, version: config.APP_VERSION, level: config.LOG_LEVEL });
  const metrics = createMetrics({ service: name, version: config.APP_VERSION });
  const health = new Health();
  const faults = new Faults(config);
  warnAboutConfig(logger, config, faults);

  // Typed as Fastify's logger interface so `app` is a plain FastifyInstance for plugins.
  const loggerInstance: FastifyBaseLogger = logger;
  const app: FastifyInstance = Fastify({
    requestIdHeader: false,
    genReqId: (request) => requestIdFrom(request.headers),
    // Fastify 5.12 deprecates the top-level requestIdLogLabel option in favour of this.
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Router-level failures (a malformed URL, an over-long path parameter) answer in the same JSON shape.
    frameworkErrors: (error, _request, reply: FastifyReply) => {
      const { statusCode, body } = toErrorResponse(error);
      void reply.code(statusCode).send(body);
    },
    ...options.fastifyOptions,
    loggerInstance,
  });

  registerErrorHandling(app);
  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
  // Responses finished while draining tell keep-alive clients to reconnect (elsewhere);
  // otherwise their idle sockets would hold app.close() open until the keep-alive timeout.
  app.addHook('onSend', async (_request, reply) => {
    if (health.shuttingDown) reply.header('connection', 'close');
  });
  await app.register(httpMetrics, { metrics });
  await app.register(faultInjection, { faults });
  await app.register(healthRoutes(health, faults));
  if (faults.enabled && config.ADMIN_TOKEN) {
    await app.register(faultAdminRoutes(faults, config.ADMIN_TOKEN));
  }

  const shutdownHooks: (() => Promise<void> | void)[] = [];
  // Registered first, so it runs last: spans from the whole shutdown are flushed.
  if (tracing) shutdownHooks.push(() => tracing.shutdown());
  let metricsServer: MetricsServer | undefined;

  const shutdown = createGracefulShutdown({
    logger,
    delayMs: config.SHUTDOWN_DELAY_MS,
    timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    beginDraining: () => health.setShuttingDown(),
    steps: (): ShutdownStep[] => [
      { name: 'closing the HTTP server (in-flight requests)', run: () => app.close() },
      ...shutdownHooks.map((hook, index) => ({ name: `onShutdown hook #${index + 1} ${hook.name}`.trim(), run: hook })).reverse(),
      { name: 'closing the metrics server', run: () => metricsServer?.close() },
    ],
  });

  let startCalled = false;

  return {
    app,
    logger,
    metrics,
    health,
    faults,
    config,

    onShutdown(fn) {
      shutdownHooks.push(fn);
    },

    async start() {
      if (startCalled) throw new Error('start() was already called');
      startCalled = true;

      if (faults.crashOnStart) {
        logger.fatal('FAULT_CRASH_ON_START is set: exiting before listening');
        await flushLogger(logger);
        process.exit(1);
      }

      await app.listen({ port: config.PORT, host: config.HOST });
      const port = (app.server.address() as AddressInfo).port;

      if (config.METRICS_PORT !== 0) {
        try {
          metricsServer = await startMetricsServer(metrics, {
            port: config.METRICS_PORT,
            host: config.METRICS_HOST,
          });
        } catch (error) {
          await app.close();
          throw error;
        }
      }

      shutdown.installSignalHandlers();
      const started = { url: reachableUrl(config.HOST, port), port, metricsPort: metricsServer?.port ?? null };
      logger.info(started, 'service started');
      return started;
    },

    shutdown: (reason) => shutdown.run(reason),
  };
}

function warnAboutConfig(logger: pino.Logger, config: RuntimeConfig, faults: Faults): void {
  if (faults.ignoredSettings.length > 0) {
    logger.warn({ ignored: faults.ignoredSettings }, 'fault settings are ignored because FAULTS_ENABLED is not set');
  }
  if (faults.enabled) {
    logger.warn({ faults: faults.state }, 'fault injection is enabled');
    if (!config.ADMIN_TOKEN) logger.warn('no ADMIN_TOKEN: the /admin/faults endpoint is off');
  }
  if (config.SHUTDOWN_DELAY_MS >= config.SHUTDOWN_TIMEOUT_MS) {
    logger.warn(
      { SHUTDOWN_DELAY_MS: config.SHUTDOWN_DELAY_MS, SHUTDOWN_TIMEOUT_MS: config.SHUTDOWN_TIMEOUT_MS },
      'SHUTDOWN_DELAY_MS uses up the whole SHUTDOWN_TIMEOUT_MS: every shutdown will be forced',
    );
  }
}

function reachableUrl(host: string, port: number): string {
  if (host === '0.0.0.0' || host === '') return `http://127.0.0.1:${port}`;
  if (host === '::') return `http://[::1]:${port}`;
  return host.includes(':') ? `http://[${host}]:${port}` : `http://${host}:${port}`;
}
