import type { SmokeSuite } from '@slipway/slipway/smoke';
import { authenticatedList, metrics, readiness, syntheticStream } from './checks.js';

/** What slipway.config.ts points at: the streams service's post-deploy smoke suite. */
export const suite: SmokeSuite = {
  name: 'streams',
  checks: [readiness, authenticatedList, syntheticStream, metrics],
};
