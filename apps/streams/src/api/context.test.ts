import { createMetrics } from '@slipway/runtime';
import { describe, expect, it } from 'vitest';
import type { User } from '../domain/users.js';
import { createBusinessMetrics } from './context.js';

const user = (synthetic: boolean): User => ({ id: 'u', email: 'u@example.test', synthetic, createdAt: new Date(0) });

describe('business metrics', () => {
  it('counts refusals by error code for real users and anonymous callers, never for synthetic users', async () => {
    const metrics = createMetrics({ service: 'streams-api', version: 'v1' });
    const business = createBusinessMetrics(metrics);
    business.refused(user(false), 'insufficient_funds');
    business.refused(user(false), 'insufficient_funds');
    business.refused(null, 'unauthenticated');
    business.refused(user(true), 'insufficient_funds');
    const counter = await metrics.registry.getSingleMetric('streams_api_refusals_total')!.get();
    const byCode = Object.fromEntries(counter.values.map((v) => [v.labels.code, v.value]));
    expect(byCode).toEqual({ insufficient_funds: 2, unauthenticated: 1 });
  });
});
