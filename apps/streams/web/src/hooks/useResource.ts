import { useCallback, useEffect, useRef, useState } from 'react';

export interface Resource<T> {
  data: T | null;
  error: unknown;
  loading: boolean;
  /** Fetches again, keeping the current data on screen until the answer arrives. */
  reload: () => Promise<void>;
  /** Replaces the data locally (e.g. with an object an action returned). */
  setData: (data: T) => void;
}

/** Loads `fetcher()` on mount and whenever `fetcher` changes (wrap it in useCallback). */
export function useResource<T>(fetcher: () => Promise<T>): Resource<T> {
  const [state, setState] = useState<{ data: T | null; error: unknown; loading: boolean }>({
    data: null,
    error: null,
    loading: true,
  });
  const generation = useRef(0);

  const reload = useCallback(async () => {
    const gen = ++generation.current;
    setState((s) => ({ ...s, loading: true }));
    try {
      const data = await fetcher();
      if (gen === generation.current) setState({ data, error: null, loading: false });
    } catch (error) {
      if (gen === generation.current) setState((s) => ({ ...s, error, loading: false }));
    }
  }, [fetcher]);

  const setData = useCallback((data: T) => setState((s) => ({ ...s, data, error: null })), []);

  useEffect(() => {
    void reload();
    return () => {
      generation.current++;
    };
  }, [reload]);

  return { ...state, reload, setData };
}
