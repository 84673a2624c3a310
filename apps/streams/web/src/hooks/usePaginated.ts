import { useCallback, useEffect, useRef, useState } from 'react';
import type { Page } from '../types';

export interface Paginated<T> {
  items: T[];
  nextCursor: string | null;
  /** First page (or a reload) in flight. */
  loading: boolean;
  loadingMore: boolean;
  /** True once the first page arrived. */
  loaded: boolean;
  error: unknown;
  /** Refetches the first page and drops later pages. */
  reload: () => Promise<void>;
  loadMore: () => Promise<void>;
  /** Swaps in a fresh copy of one item (e.g. a stream returned by an action). */
  replace: (item: T) => void;
}

interface State<T> {
  items: T[];
  nextCursor: string | null;
  loading: boolean;
  loadingMore: boolean;
  loaded: boolean;
  error: unknown;
}

/** Cursor pagination over `fetchPage(cursor)`; reloads when `fetchPage` changes (wrap it in useCallback). */
export function usePaginated<T extends { id: string }>(fetchPage: (cursor: string | null) => Promise<Page<T>>): Paginated<T> {
  const [state, setState] = useState<State<T>>({
    items: [],
    nextCursor: null,
    loading: true,
    loadingMore: false,
    loaded: false,
    error: null,
  });
  const generation = useRef(0);

  const reload = useCallback(async () => {
    const gen = ++generation.current;
    setState((s) => ({ ...s, loading: true, loadingMore: false }));
    try {
      const page = await fetchPage(null);
      if (gen !== generation.current) return;
      setState({
        items: page.items,
        nextCursor: page.nextCursor,
        loading: false,
        loadingMore: false,
        loaded: true,
        error: null,
      });
    } catch (error) {
      if (gen === generation.current) setState((s) => ({ ...s, loading: false, error }));
    }
  }, [fetchPage]);

  const loadMore = useCallback(async () => {
    const cursor = state.nextCursor;
    if (!cursor) return;
    const gen = generation.current;
    setState((s) => ({ ...s, loadingMore: true }));
    try {
      const page = await fetchPage(cursor);
      if (gen !== generation.current) return;
      setState((s) => {
        const seen = new Set(s.items.map((i) => i.id));
        return {
          ...s,
          items: [...s.items, ...page.items.filter((i) => !seen.has(i.id))],
          nextCursor: page.nextCursor,
          loadingMore: false,
          error: null,
        };
      });
    } catch (error) {
      if (gen === generation.current) setState((s) => ({ ...s, loadingMore: false, error }));
    }
  }, [fetchPage, state.nextCursor]);

  const replace = useCallback((item: T) => {
    setState((s) => ({ ...s, items: s.items.map((i) => (i.id === item.id ? item : i)) }));
  }, []);

  useEffect(() => {
    void reload();
    return () => {
      generation.current++;
    };
  }, [reload]);

  return { ...state, reload, loadMore, replace };
}
