import { describe, expect, it } from 'vitest';
import { segmentEndLsn, tableDifferences } from './table-hashes.js';

describe('segmentEndLsn', () => {
  it('is where the next segment begins, for 16 MB and other sizes, across the 4 GB boundary', () => {
    expect(segmentEndLsn('000000010000000000000003', 16 * 1024 * 1024)).toBe('0/4000000');
    expect(segmentEndLsn('0000000200000000000000FF', 16 * 1024 * 1024)).toBe('1/0');
    expect(segmentEndLsn('000000010000000100000002', 16 * 1024 * 1024)).toBe('1/3000000');
    expect(segmentEndLsn('000000010000000000000001', 64 * 1024 * 1024)).toBe('0/8000000');
  });
});

describe('tableDifferences', () => {
  const t = (table: string, rows: string, hash: string) => ({ table, rows, hash });
  it('is empty for the same tables', () => {
    expect(tableDifferences([t('public.a', '2', '9')], [t('public.a', '2', '9')])).toEqual([]);
  });
  it('names each table that differs, and how', () => {
    expect(
      tableDifferences(
        [t('public.a', '2', '9'), t('public.b', '5', '1'), t('public.c', '1', '1')],
        [t('public.a', '3', '9'), t('public.b', '5', '2'), t('public.d', '0', '0')],
      ),
    ).toEqual([
      'public.a: 3 rows in the copy, 2 on the primary',
      'public.b: the same 5 rows in number, other contents',
      'public.c: missing in the copy',
      'public.d: in the copy only',
    ]);
  });
});
