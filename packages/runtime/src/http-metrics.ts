import fp from 'fastify-plugin';
import type { Metrics } from './metrics.js';

/**
 * Records http_requests_total and http_request_duration_seconds for every response.
 * `route` is the matched route template, or 'unmatched' when no route matched, so label
 * cardinality stays bounded whatever URLs clients send.
 */
export const httpMetrics = fp<{ metrics: Metrics }>(
  async (app, { metrics }) => {
    app.addHook('onResponse', async (request, reply) => {
      const labels = {
        method: request.method,
        route: request.is404 ? 'unmatched' : (request.routeOptions.url ?? 'unmatched'),
        status: String(reply.statusCode),
      };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
    });
  },
  { name: 'slipway-http-metrics', fastify: '5.x' },
);
