import type pg from 'pg';
import type { Histogram } from 'prom-client';
import type { Metrics } from './metrics.js';

type QueryDuration = Histogram<'operation' | 'outcome'>;
type QueryCallback = (error: Error | null | undefined, result?: unknown) => void;
type QueryFunction = (...args: unknown[]) => unknown;

const KNOWN_OPERATIONS = new Set(['select', 'insert', 'update', 'delete', 'begin', 'commit', 'rollback']);
// Leading whitespace and SQL comments, then the first keyword.
const FIRST_KEYWORD = /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*([A-Za-z]+)/;

const instrumented = new WeakSet<object>();

/**
 * Observes db_query_duration_seconds for every query run through `pool`.
 *
 * `pool.query()` checks out a client and runs `client.query()` on it, so instrumenting
 * each client as it is handed out ('acquire' fires for `pool.query()` and `pool.connect()`
 * alike, for new and idle clients) counts every query exactly once — wrapping `pool.query`
 * as well would count pool queries twice. Time spent waiting for a free client is not
 * query time and is not included.
 */
export function instrumentPool(pool: pg.Pool, metrics: Metrics): void {
  const instrument = (client: pg.PoolClient) => instrumentClient(client, metrics.dbQueryDuration);
  pool.on('connect', instrument);
  pool.on('acquire', instrument);
}

/** The `operation` label: a named query's name, else the first SQL keyword (bounded set). */
export function queryOperation(query: unknown): string {
  if (typeof query === 'object' && query !== null) {
    const { name, text } = query as { name?: unknown; text?: unknown };
    if (typeof name === 'string' && name !== '') return name;
    return queryOperation(text);
  }
  if (typeof query !== 'string') return 'other';
  const keyword = FIRST_KEYWORD.exec(query)?.[1]?.toLowerCase();
  return keyword !== undefined && KNOWN_OPERATIONS.has(keyword) ? keyword : 'other';
}

function instrumentClient(client: pg.ClientBase, duration: QueryDuration): void {
  if (instrumented.has(client)) return;
  instrumented.add(client);

  const original = client.query as unknown as QueryFunction;
  const measuredQuery: QueryFunction = function (this: unknown, ...args) {
    const [query] = args;
    if (isSubmittable(query)) return original.apply(this, args);

    const end = duration.startTimer({ operation: queryOperation(query) });
    const finish = (error: unknown) => end({ outcome: error ? 'error' : 'ok' });

    const callbackIndex = findCallback(args);
    if (callbackIndex !== undefined) {
      const callback = args[callbackIndex] as QueryCallback;
      args[callbackIndex] = (error: Error | null | undefined, result?: unknown) => {
        finish(error);
        callback(error, result);
      };
      return original.apply(this, args);
    }
    if (typeof query === 'object' && query !== null && typeof (query as { callback?: unknown }).callback === 'function') {
      const config = query as { callback: QueryCallback };
      const callback = config.callback;
      args[0] = {
        ...config,
        callback: (error: Error | null | undefined, result?: unknown) => {
          finish(error);
          callback(error, result);
        },
      };
      return original.apply(this, args);
    }

    let pending: unknown;
    try {
      pending = original.apply(this, args);
    } catch (error) {
      finish(error);
      throw error;
    }
    if (!(pending instanceof Promise)) return pending;
    return pending.then(
      (result: unknown) => {
        finish(undefined);
        return result;
      },
      (error: unknown) => {
        finish(error ?? new Error('query failed'));
        throw error;
      },
    );
  };
  client.query = measuredQuery as unknown as typeof client.query;
}

function isSubmittable(query: unknown): boolean {
  return typeof query === 'object' && query !== null && typeof (query as { submit?: unknown }).submit === 'function';
}

function findCallback(args: unknown[]): number | undefined {
  const last = args.length - 1;
  return last >= 1 && typeof args[last] === 'function' ? last : undefined;
}
