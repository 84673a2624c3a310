// The response-shape checks are only worth something if the checker rejects wrong shapes:
// these run it against the real document's schemas with bodies that must fail.
import { validate, type Schema } from '../support/openapi.js';
import { expect, test } from '../fixtures/index.js';

const STREAM_ID = '0b7c7a3e-2f59-4b8e-9a55-5f8f2a8c1d11';

test.describe('the OpenAPI response checker', () => {
  test('accepts a conforming stream and rejects every kind of deviation', async ({ openapi }) => {
    const schema = openapi.responseSchema('GET', '/api/streams/{id}', 200);
    const party = { id: STREAM_ID, email: 'a@example.com' };
    const stream = {
      id: STREAM_ID,
      role: 'sender',
      sender: party,
      recipient: party,
      currency: 'USD',
      deposit: '100',
      withdrawn: '0',
      accrued: '5',
      withdrawable: '5',
      startAt: '2026-01-01T00:00:00.000Z',
      endAt: '2026-01-01T00:01:00.000Z',
      status: 'active',
      createdAt: '2026-01-01T00:00:00.000Z',
      closedAt: null,
      now: '2026-01-01T00:00:03.000Z',
    };
    expect(validate(schema, { stream })).toEqual([]);

    const { closedAt: _closedAt, ...missing } = stream;
    const cases: [string, unknown, string][] = [
      ['missing property', { stream: missing }, 'missing required property "closedAt"'],
      ['extra property', { stream: { ...stream, secret: 'x' } }, 'unexpected property "secret"'],
      ['wrong type', { stream: { ...stream, deposit: 100 } }, '$.stream.deposit: expected string'],
      ['pattern', { stream: { ...stream, accrued: '1.5' } }, '$.stream.accrued: "1.5" does not match'],
      ['enum', { stream: { ...stream, status: 'paused' } }, '$.stream.status: "paused" is not one of'],
      ['uuid', { stream: { ...stream, id: 'not-a-uuid' } }, '$.stream.id'],
      ['null where not nullable', { stream: { ...stream, startAt: null } }, '$.stream.startAt: expected string'],
      ['nested object', { stream: { ...stream, sender: { id: STREAM_ID } } }, '$.stream.sender: missing required property "email"'],
      ['top level', [], '$: expected object'],
    ];
    for (const [what, body, problem] of cases) {
      const errors = validate(schema, body);
      expect(errors.join('\n'), what).toContain(problem);
    }
  });

  test('checks array items and refuses keywords it does not implement', async ({ openapi }) => {
    const list = openapi.responseSchema('GET', '/api/activity', 200);
    const item = { id: '1', journalId: '1', kind: 'faucet', streamId: null, currency: 'USD', amount: '-5', createdAt: 'x' };
    expect(validate(list, { items: [item], nextCursor: null })).toEqual([]);
    expect(validate(list, { items: [{ ...item, currency: 'JPY' }], nextCursor: null }).join()).toContain('$.items[0].currency');

    const unknown = { type: 'string', oneOf: [] } as unknown as Schema;
    expect(() => validate(unknown, 'x')).toThrow('does not implement');
  });
});
