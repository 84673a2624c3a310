export { defineConfig, loadSlipwayConfig, slipwayConfigSchema, SlipwayConfigError, type SlipwayConfig } from './config/config.js';
export * from './smoke/index.js';
export * from './local/index.js';
