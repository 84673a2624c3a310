import { describe, expect, it } from 'vitest';
import { TEST_VERSION, captureLogs, testService } from '../test/helpers.js';
import { createLogger, redactPaths } from './logging.js';

const SECRETS = ['s3cr3t-bearer-value', 's3cr3t-session', 's3cr3t-password', 's3cr3t-token', 's3cr3t-api', 's3cr3t-set-cookie'];

describe('createLogger', () => {
  it('writes JSON lines with service, version and a level label', () => {
    const logs = captureLogs();
    const logger = createLogger({ service: 'billing', version: '4.5.6', level: 'info', destination: logs.stream });
    logger.info({ orderId: 7 }, 'order placed');
    logger.debug('not at info level');

    expect(logs.records()).toEqual([
      expect.objectContaining({
        level: 'info',
        service: 'billing',
        version: '4.5.6',
        orderId: 7,
        msg: 'order placed',
        time: expect.any(String),
      }),
    ]);
  });

  it('redacts credentials at any depth from 1 to 3', () => {
    const logs = captureLogs();
    // debug: the level at which request headers are logged at all
    const logger = createLogger({ service: 's', version: '1', level: 'debug', destination: logs.stream });
    logger.info({
      password: 's3cr3t-password',
      user: { token: 's3cr3t-token', profile: { apiToken: 's3cr3t-api' } },
      req: { headers: { authorization: 'Bearer s3cr3t-bearer-value', cookie: 'sid=s3cr3t-session', accept: 'text/html' } },
      res: { headers: { 'set-cookie': 'sid=s3cr3t-set-cookie' } },
    });

    const text = logs.text();
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    const [record] = logs.records();
    expect(record).toMatchObject({
      password: '[redacted]',
      user: { token: '[redacted]', profile: { apiToken: '[redacted]' } },
      req: { headers: { authorization: '[redacted]', cookie: '[redacted]', accept: 'text/html' } },
      res: { headers: { 'set-cookie': '[redacted]' } },
    });
  });

  it('covers the documented keys', () => {
    for (const path of [
      'req.headers.authorization',
      'req.headers.cookie',
      'res.headers["set-cookie"]',
      '*.password',
      '*.*.sessionToken',
      'secret',
    ]) {
      expect(redactPaths).toContain(path);
    }
  });
});

describe('request logging', () => {
  it('never shows credentials from headers or bodies, even when a handler logs them', async () => {
    const { service, logs } = await testService();
    service.app.post('/login', async (request) => {
      request.log.info({ body: request.body, headers: request.headers }, 'login attempt');
      return { ok: true };
    });

    const response = await service.app.inject({
      method: 'POST',
      url: '/login',
      headers: { authorization: 'Bearer s3cr3t-bearer-value', cookie: 'sid=s3cr3t-session' },
      payload: { email: 'ann@example.com', password: 's3cr3t-password', nested: { sessionToken: 's3cr3t-token' } },
    });

    expect(response.statusCode).toBe(200);
    const text = logs.text();
    expect(text).toContain('login attempt');
    expect(text).toContain('ann@example.com');
    for (const secret of SECRETS) expect(text).not.toContain(secret);
  });

  it('accepts a sane x-request-id, echoes it and logs it as requestId', async () => {
    const { service, logs } = await testService();
    service.app.get('/hello', async (request) => {
      request.log.info('handling hello');
      return { hello: 'world' };
    });

    const response = await service.app.inject({ url: '/hello', headers: { 'x-request-id': 'edge-7f3a.b_9' } });

    expect(response.headers['x-request-id']).toBe('edge-7f3a.b_9');
    const handling = logs.records().find((record) => record.msg === 'handling hello');
    expect(handling).toMatchObject({ requestId: 'edge-7f3a.b_9', service: 'test', version: TEST_VERSION });
    const completed = logs.records().find((record) => record.msg === 'request completed');
    expect(completed).toMatchObject({ requestId: 'edge-7f3a.b_9' });
  });

  it.each([
    ['spaces and quotes', 'not "a" token'],
    ['too long', 'x'.repeat(129)],
    ['empty', ''],
  ])('replaces an x-request-id with %s by a UUID', async (_case, incoming) => {
    const { service } = await testService();
    const response = await service.app.inject({ url: '/healthz', headers: { 'x-request-id': incoming } });
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('echoes the request id on error responses too', async () => {
    const { service } = await testService();
    service.app.get('/boom', async () => {
      throw new Error('boom');
    });
    for (const url of ['/boom', '/missing']) {
      const response = await service.app.inject({ url, headers: { 'x-request-id': 'trace-me-1' } });
      expect(response.statusCode).toBeGreaterThanOrEqual(400);
      expect(response.headers['x-request-id']).toBe('trace-me-1');
    }
  });
});
