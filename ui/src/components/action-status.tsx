import { useState } from 'preact/hooks';
import { type Problem, problemFrom } from '../api';
import { ProblemView } from './problem-view';

/**
 * A page's buttons that change something: `act` runs one, shows what it returns as the
 * notice (or its problem), and on success calls `after` (the page's reload).
 */
export function useActions(after?: () => void) {
  const [notice, setNotice] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  async function act(action: () => Promise<string>): Promise<void> {
    try {
      setNotice(await action());
      setProblem(null);
      after?.();
    } catch (err) {
      setProblem(problemFrom(err));
    }
  }
  return { notice, setNotice, problem, act };
}

/** The notice of the last action (announced to screen readers) and its problem, if it failed. */
export function ActionStatus({ notice, problem }: { notice: string | null; problem: Problem | null }) {
  return (
    <>
      <p class="notice" role="status">
        {notice ?? ''}
      </p>
      {problem ? <ProblemView problem={problem} /> : null}
    </>
  );
}
