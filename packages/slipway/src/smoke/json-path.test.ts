import { describe, expect, it } from 'vitest';
import { jsonEqual, jsonMismatch, parseJsonPath, readJsonPath } from './json-path.js';

const body = {
  status: 'ok',
  count: 0,
  nothing: null,
  items: [{ id: 7, tags: ['a', 'b'] }, { id: 8 }],
  'odd key': { 'with "quotes"': true },
  $ref: 'dollar',
  'kebab-case': 1,
};

describe('readJsonPath', () => {
  it('follows keys, indexes and quoted keys', () => {
    expect(readJsonPath(body, '$')).toEqual({ present: true, value: body });
    expect(readJsonPath(body, '$.status')).toEqual({ present: true, value: 'ok' });
    expect(readJsonPath(body, '$.items[1].id')).toEqual({ present: true, value: 8 });
    expect(readJsonPath(body, '$.items[0].tags[1]')).toEqual({ present: true, value: 'b' });
    expect(readJsonPath(body, '$["odd key"]["with \\"quotes\\""]')).toEqual({ present: true, value: true });
    expect(readJsonPath(body, '$.$ref')).toEqual({ present: true, value: 'dollar' });
    expect(readJsonPath(body, '$.kebab-case')).toEqual({ present: true, value: 1 });
    expect(readJsonPath([10, 20], '$[1]')).toEqual({ present: true, value: 20 });
  });

  it('tells a null or zero value apart from a missing one', () => {
    expect(readJsonPath(body, '$.nothing')).toEqual({ present: true, value: null });
    expect(readJsonPath(body, '$.count')).toEqual({ present: true, value: 0 });
    expect(readJsonPath(body, '$.missing')).toEqual({ present: false });
    expect(readJsonPath(body, '$.nothing.below')).toEqual({ present: false });
  });

  it('finds nothing where the shape differs: an index past the end, a key on an array, an index on an object', () => {
    expect(readJsonPath(body, '$.items[2]')).toEqual({ present: false });
    expect(readJsonPath(body, '$.items.length')).toEqual({ present: false });
    expect(readJsonPath(body, '$.status[0]')).toEqual({ present: false });
  });

  it('does not reach inherited properties', () => {
    expect(readJsonPath({}, '$.constructor')).toEqual({ present: false });
    expect(readJsonPath({}, '$.toString')).toEqual({ present: false });
    expect(readJsonPath(['x'], '$.length')).toEqual({ present: false });
  });
});

describe('parseJsonPath', () => {
  it('parses each segment', () => {
    expect(parseJsonPath('$.a[3]["b c"]')).toEqual([{ key: 'a' }, { index: 3 }, { key: 'b c' }]);
    expect(parseJsonPath('$')).toEqual([]);
  });

  it('says where a path stops making sense', () => {
    expect(() => parseJsonPath('status')).toThrow('"status" does not start with $');
    expect(() => parseJsonPath('$.items[x]')).toThrow('"$.items[x]" cannot be read from position 7');
    expect(() => parseJsonPath('$..a')).toThrow('cannot be read from position 1');
    expect(() => parseJsonPath('$["\\q"]')).toThrow('has a quoted key at position 1 that is not a valid JSON string');
  });
});

describe('jsonMismatch', () => {
  const at = (path: string) => readJsonPath(body, path);

  it('accepts an equal value, whatever the key order of objects', () => {
    expect(jsonMismatch(at('$.status'), 'ok')).toBeUndefined();
    expect(jsonMismatch(at('$.items[0]'), { tags: ['a', 'b'], id: 7 })).toBeUndefined();
    expect(jsonMismatch(at('$.nothing'), null)).toBeUndefined();
  });

  it('says what was found and what was expected', () => {
    expect(jsonMismatch(at('$.status'), 'degraded')).toBe('is "ok", expected "degraded"');
    expect(jsonMismatch(at('$.count'), '0')).toBe('is 0, expected "0"');
    expect(jsonMismatch(at('$.items[0].tags'), ['b', 'a'])).toBe('is ["a","b"], expected ["b","a"]');
    expect(jsonMismatch(at('$.items[1]'), { id: 8, name: 'x' })).toBe('is {"id":8}, expected {"id":8,"name":"x"}');
    expect(jsonMismatch(at('$.missing'), 1)).toBe('is missing, expected 1');
    expect(jsonMismatch(at('$.nothing'), {})).toBe('is null, expected {}');
  });

  it('checks presence alone with { exists }', () => {
    expect(jsonMismatch(at('$.nothing'), { exists: true })).toBeUndefined();
    expect(jsonMismatch(at('$.missing'), { exists: false })).toBeUndefined();
    expect(jsonMismatch(at('$.missing'), { exists: true })).toBe('is missing');
    expect(jsonMismatch(at('$.count'), { exists: false })).toBe('is present (0)');
  });

  it('compares an object with more keys than `exists` as a value', () => {
    const found = readJsonPath({ flag: { exists: true, why: 'x' } }, '$.flag');
    expect(jsonMismatch(found, { exists: true, why: 'x' })).toBeUndefined();
    expect(jsonMismatch(found, { exists: true, why: 'y' })).toBe('is {"exists":true,"why":"x"}, expected {"exists":true,"why":"y"}');
  });
});

describe('jsonEqual', () => {
  it('does not take an array for an object with index keys', () => {
    expect(jsonEqual(['a'], { 0: 'a' })).toBe(false);
    expect(jsonEqual({ 0: 'a' }, ['a'])).toBe(false);
    expect(jsonEqual([], [])).toBe(true);
    expect(jsonEqual({ a: [1, { b: null }] }, { a: [1, { b: null }] })).toBe(true);
    expect(jsonEqual(1, '1')).toBe(false);
  });
});
