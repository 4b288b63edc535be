// The dashboard's only way to the service: the same HTTP API the CLI uses, with the
// token (when the server asks for one) sent as a bearer token, never in a URL.

export interface FieldError {
  field: string;
  message: string;
}

/** An RFC 9457 problem document, as the API answers every error. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  field?: string;
  errors?: FieldError[];
}

export class ApiError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail);
    this.problem = problem;
  }
}

const TOKEN_KEY = 'ecrscan.token';

/** Kept for the browser tab's session only: closing the tab forgets it. */
export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token: string | null): void {
  if (token === null) sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
  for (const listener of tokenListeners) listener();
}

type Listener = () => void;
const tokenListeners = new Set<Listener>();
const unauthorizedListeners = new Set<Listener>();

export function onTokenChange(listener: Listener): () => void {
  tokenListeners.add(listener);
  return () => tokenListeners.delete(listener);
}

/** Called when the server answers 401: the page asks for a token. */
export function onUnauthorized(listener: Listener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

function isProblem(value: unknown): value is Problem {
  return typeof value === 'object' && value !== null && typeof (value as Problem).status === 'number' && typeof (value as Problem).detail === 'string';
}

/** Any failure becomes a problem: the API's own, or one describing what went wrong on the way. */
async function problemOf(response: Response): Promise<Problem> {
  const text = await response.text();
  try {
    const body: unknown = JSON.parse(text);
    if (isProblem(body)) return body;
  } catch {
    // not JSON: described below
  }
  return { type: 'about:blank', title: response.statusText || 'Error', status: response.status, detail: `the server answered ${response.status}` };
}

export async function api<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = storedToken();
  if (token) headers['authorization'] = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }), credentials: 'omit', cache: 'no-cache' });
  } catch (err) {
    throw new ApiError({ type: 'about:blank', title: 'Service unreachable', status: 0, detail: `the service did not answer (${err instanceof Error ? err.message : String(err)})` });
  }
  if (!response.ok) {
    const problem = await problemOf(response);
    if (response.status === 401) for (const listener of unauthorizedListeners) listener();
    throw new ApiError(problem);
  }
  // 204, and any other answer without a body, is success with nothing to read.
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** The problem of an error, whatever threw it. */
export function problemFrom(err: unknown): Problem {
  if (err instanceof ApiError) return err.problem;
  return { type: 'about:blank', title: 'Error', status: 0, detail: err instanceof Error ? err.message : String(err) };
}

/** Field errors by the top-level field they name (`tags[3]` → `tags`). */
export function fieldErrors(problem: Problem | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const error of problem?.errors ?? []) {
    const field = error.field.replace(/^\//, '').split(/[.[/]/)[0] ?? error.field;
    out[field] ??= error.message;
  }
  return out;
}
