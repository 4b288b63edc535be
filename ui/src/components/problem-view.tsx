import type { Problem } from '../api';

/** The API's problem as it came: title, status and detail, and each field it names. */
export function ProblemView({ problem }: { problem: Problem }) {
  return (
    <div class="problem" role="alert">
      <strong>
        {problem.title}
        {problem.status > 0 ? ` (${problem.status})` : ''}
      </strong>
      <p>{problem.detail}</p>
      {problem.errors && problem.errors.length > 1 ? (
        <ul>
          {problem.errors.map((error) => (
            <li key={`${error.field}:${error.message}`}>{error.message}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
