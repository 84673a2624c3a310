export { TrafficRouter, HEALTH_PATH, RELEASE_HEADER } from './router.js';
export type { RouteTarget, RouterOptions, RouterEvent } from './router.js';
export type { RouterMetrics } from './metrics.js';
export { ControlClient } from './control.js';
