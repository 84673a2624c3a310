import { defineConfig } from '@slipway/slipway';

// How Slipway releases the streams service. The smoke suite is the service's own
// code; Slipway only runs it.
export default defineConfig({
  smoke: {
    suite: './apps/streams/dist/smoke/index.js',
    tokenFile: '.slipway/smoke-tokens.json',
    metricsPort: 9464,
  },
});
