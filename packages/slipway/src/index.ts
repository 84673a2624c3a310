export { defineConfig, loadSlipwayConfig, slipwayConfigSchema, SlipwayConfigError, type SlipwayConfig } from './config/config.js';
export * from './smoke/index.js';
export { LATENCY_BUCKETS_SECONDS, type ReleaseMetrics, type LatencyHistogram, type StatusClass } from './engine/measurements.js';
export * from './local/index.js';
