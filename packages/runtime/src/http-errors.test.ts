import { describe, expect, it } from 'vitest';
import { testService } from '../test/helpers.js';

async function serviceWithRoutes() {
  const result = await testService({}, { bodyLimit: 1024 });
  const { app } = result.service;
  app.post('/echo', async (request) => request.body);
  app.post(
    '/people',
    {
      schema: {
        body: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, age: { type: 'integer', minimum: 0 } } },
      },
    },
    async (request) => request.body,
  );
  app.post('/transfers', async () => {
    throw Object.assign(new Error('balance is 10, transfer needs 25'), {
      statusCode: 409,
      code: 'insufficient_funds',
      details: { balance: '10' },
    });
  });
  app.get('/teapot', async () => {
    throw Object.assign(new Error('I am a teapot'), { statusCode: 418, code: 'FST_SOMETHING' });
  });
  app.get('/bug', async () => {
    throw new TypeError('cannot read properties of undefined (reading "secretInternalField")');
  });
  return result;
}

describe('error responses', () => {
  it('answers malformed JSON with 400 invalid_body', async () => {
    const { service } = await serviceWithRoutes();
    const response = await service.app.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{"a": 1,',
    });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.json()).toEqual({ error: { code: 'invalid_body', message: expect.stringContaining('not valid JSON') } });
  });

  it('answers an empty JSON body with 400 invalid_body', async () => {
    const { service } = await serviceWithRoutes();
    const response = await service.app.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/json' },
      payload: '',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('invalid_body');
  });

  it('answers an unsupported content type with 415 unsupported_media_type', async () => {
    const { service } = await serviceWithRoutes();
    const response = await service.app.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/xml' },
      payload: '<a/>',
    });
    expect(response.statusCode).toBe(415);
    expect(response.json().error.code).toBe('unsupported_media_type');
  });

  it('answers a body over the limit with 413 payload_too_large', async () => {
    const { service } = await serviceWithRoutes();
    const response = await service.app.inject({ method: 'POST', url: '/echo', payload: { data: 'x'.repeat(2048) } });
    expect(response.statusCode).toBe(413);
    expect(response.json().error.code).toBe('payload_too_large');
  });

  it('answers schema validation failures with 400 validation_failed and details', async () => {
    const { service } = await serviceWithRoutes();
    const missing = await service.app.inject({ method: 'POST', url: '/people', payload: { age: 3 } });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toEqual({
      error: {
        code: 'validation_failed',
        message: 'request validation failed',
        details: [{ location: 'body', path: '/name', message: "must have required property 'name'" }],
      },
    });

    const wrong = await service.app.inject({ method: 'POST', url: '/people', payload: { name: 'Ann', age: -1 } });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error.details).toEqual([{ location: 'body', path: '/age', message: 'must be >= 0' }]);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const { service } = await serviceWithRoutes();
    const response = await service.app.inject({ method: 'DELETE', url: '/nope/123?token=abc' });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.json()).toEqual({ error: { code: 'not_found', message: 'no route for DELETE /nope/123' } });
  });

  it('keeps the status, code, message and details of deliberate client errors', async () => {
    const { service } = await serviceWithRoutes();
    const response = await service.app.inject({ method: 'POST', url: '/transfers' });
    expect(response.statusCode).toBe(409);
    expect(response.json()).toEqual({
      error: { code: 'insufficient_funds', message: 'balance is 10, transfer needs 25', details: { balance: '10' } },
    });

    const teapot = await service.app.inject({ url: '/teapot' });
    expect(teapot.statusCode).toBe(418);
    expect(teapot.json()).toEqual({ error: { code: 'i_m_a_teapot', message: 'I am a teapot' } });
  });

  it('hides unexpected errors behind a generic 500 and logs them with the stack', async () => {
    const { service, logs } = await serviceWithRoutes();
    const response = await service.app.inject({ url: '/bug' });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({ error: { code: 'internal_error', message: 'internal server error' } });
    expect(response.body).not.toContain('secretInternalField');

    const logged = logs.records().find((record) => record.msg === 'request failed');
    expect(logged).toMatchObject({ level: 'error', err: { type: 'TypeError', message: expect.stringContaining('secretInternalField') } });
    expect((logged?.err as { stack?: string }).stack).toContain('http-errors.test.ts');
  });
});
