/** @module Loading data: one hook that fetches, re-fetches when its inputs change, and reports errors. */

import { useEffect, useState } from 'react';
import { api } from './api';

export interface Loaded<T> {
  data: T | null;
  error: { status: number; message: string; body?: Record<string, unknown> } | null;
  loading: boolean;
  /** Fetches again now (after a write). */
  reload?: () => void;
}

type Query = Record<string, string | number | undefined | null>;

/** GETs `path` with `query`; again whenever either changes, and every `refreshMs` when given. */
export function useApi<T>(path: string | null, query: Query = {}, refreshMs?: number): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ data: null, error: null, loading: true });
  const [nonce, setNonce] = useState(0);
  const key = `${path}?${JSON.stringify(query)}#${nonce}`;
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for path and query
  useEffect(() => {
    if (path === null) return;
    let live = true;
    const load = () =>
      api<T>(path, query)
        .then((data) => live && setState({ data, error: null, loading: false }))
        .catch(
          (e: { status?: number; message: string; body?: Record<string, unknown> }) =>
            live &&
            setState((s) => ({
              data: s.data,
              error: { status: e.status ?? 0, message: e.message, ...(e.body ? { body: e.body } : {}) },
              loading: false,
            })),
        );
    setState((s) => ({ ...s, loading: true }));
    void load();
    const timer = refreshMs ? setInterval(load, refreshMs) : undefined;
    return () => {
      live = false;
      if (timer) clearInterval(timer);
    };
  }, [key, refreshMs]);
  return { ...state, reload: () => setNonce((n) => n + 1) };
}
