/** Hooks the views share: data that re-reads itself when the server says it changed. */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { ApiError } from "./api.ts";
import { onKeys } from "./live.ts";

export interface Live<T> {
  data: T | undefined;
  error: ApiError | Error | undefined;
  loading: boolean;
  /** Re-reads now (after an action). */
  reload(): void;
}

/**
 * Loads with `load`, and loads again whenever a change arrives whose key `matches`. At most one
 * read is in flight; changes during a read cause exactly one more read after it. A new `deps`
 * starts over (results of the old reads are dropped).
 */
export function useLive<T>(load: () => Promise<T>, matches: (key: string) => boolean, deps: readonly unknown[]): Live<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiError | Error; loading: boolean }>({ loading: true });
  const gen = useRef(0);
  const running = useRef<{ gen: number; again: boolean } | null>(null);
  const loadRef = useRef(load);
  loadRef.current = load;
  const matchRef = useRef(matches);
  matchRef.current = matches;

  const run = useCallback(async () => {
    const g = gen.current;
    if (running.current?.gen === g) {
      running.current.again = true;
      return;
    }
    const r = { gen: g, again: false };
    running.current = r;
    do {
      r.again = false;
      try {
        const data = await loadRef.current();
        if (gen.current === g) setState({ data, loading: false });
      } catch (err) {
        if (gen.current === g) setState((s) => ({ data: s.data, error: err as Error, loading: false }));
      }
    } while (r.again && gen.current === g);
    if (running.current === r) running.current = null;
  }, []);

  useEffect(() => {
    gen.current++;
    setState({ loading: true });
    void run();
    const off = onKeys((keys) => {
      if (keys.some((k) => k === "*" || matchRef.current(k))) void run();
    });
    return () => {
      gen.current++;
      off();
    };
  }, deps);

  return { data: state.data, error: state.error, loading: state.loading, reload: () => void run() };
}

export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Slipway console`;
  }, [title]);
}
