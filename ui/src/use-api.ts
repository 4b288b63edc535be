import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, onTokenChange, type Problem, problemFrom } from './api';

export interface Loaded<T> {
  data: T | null;
  problem: Problem | null;
  loading: boolean;
  reload: () => void;
}

/** GETs `path` (again when it changes, on reload, and when the token changes). */
export function useApi<T>(path: string | null): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; problem: Problem | null; loading: boolean }>({ data: null, problem: null, loading: path !== null });
  const [round, setRound] = useState(0);
  const reload = useCallback(() => setRound((n) => n + 1), []);
  useEffect(() => onTokenChange(reload), [reload]);
  useEffect(() => {
    if (path === null) return;
    let current = true;
    setState((previous) => ({ ...previous, loading: true }));
    api<T>('GET', path).then(
      (data) => current && setState({ data, problem: null, loading: false }),
      (err: unknown) => current && setState({ data: null, problem: problemFrom(err), loading: false }),
    );
    return () => {
      current = false;
    };
  }, [path, round]);
  return { ...state, reload };
}
