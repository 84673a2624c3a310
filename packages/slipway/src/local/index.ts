export { TrafficRouter, HEALTH_PATH, RELEASE_HEADER } from './router.js';
export type { RouteTarget, RouterOptions, RouterEvent } from './router.js';
export { LATENCY_BUCKETS_SECONDS } from './metrics.js';
export type { RouterMetrics, ReleaseMetrics, LatencyHistogram, StatusClass } from './metrics.js';
export { ControlClient } from './control.js';
