import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Faults } from './faults.js';
import type { Health, HealthReport } from './health.js';

export const PROBE_PATHS = ['/health/live', '/healthz', '/health/ready', '/readyz', '/health/startup'] as const;

/**
 * Kubernetes-style probes (podinfo semantics):
 * - liveness (`/health/live`, `/healthz`) is 200 as long as the process can answer at all:
 *   a wedged event loop makes it time out, and it never calls dependencies, so a database
 *   outage cannot get every replica restarted;
 * - readiness (`/health/ready`, `/readyz`) runs the registered checks, 200 or 503;
 * - startup (`/health/startup`) passes once the app called `health.markStarted()`.
 */
export function healthRoutes(health: Health, faults: Faults): FastifyPluginAsync {
  return async (app) => {
    // Probes are frequent: keep their access logs out of the info stream.
    const probe = { config: { faultExempt: true }, logLevel: 'warn' as const };
    let lastReadiness: HealthReport['status'] | undefined;

    const live = async (_request: unknown, reply: FastifyReply) => {
      noStore(reply);
      return { status: 'ok' };
    };

    const ready = async (_request: unknown, reply: FastifyReply) => {
      const report = withFaults(await health.readiness(), faults);
      if (report.status !== lastReadiness) {
        const failing = report.checks.filter((check) => check.status !== 'ok');
        if (report.status === 'ok') app.log.info('service is ready');
        else app.log.warn({ failing }, 'service is not ready');
        lastReadiness = report.status;
      }
      noStore(reply).code(report.status === 'ok' ? 200 : 503);
      return report;
    };

    app.get('/health/live', probe, live);
    app.get('/healthz', probe, live);
    app.get('/health/ready', probe, ready);
    app.get('/readyz', probe, ready);
    app.get('/health/startup', probe, async (_request, reply) => {
      noStore(reply).code(health.started ? 200 : 503);
      return { status: health.started ? 'ok' : 'starting' };
    });
  };
}

function withFaults(report: HealthReport, faults: Faults): HealthReport {
  if (!faults.neverReady) return report;
  return {
    status: 'fail',
    checks: [...report.checks, { name: 'fault', status: 'fail', durationMs: 0, error: 'FAULT_NEVER_READY is set' }],
  };
}

function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store');
}
