import { CliError } from './cli-error.js';

export interface ApiClient {
  request(method: string, path: string, options?: { body?: unknown; accept?: string }): Promise<{ status: number; body: unknown; text: string }>;
}

const DEFAULT_URL = 'http://127.0.0.1:8080';

/** The server to talk to: `--url`, else ECRSCANAPI_URL (the original demo's variable), else the local default. */
export function apiUrl(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const raw = flag ?? env['ECRSCANAPI_URL'] ?? DEFAULT_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`the server URL "${raw}" is not a valid URL`, 2);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`the server URL must be http:// or https://, got "${raw}"`, 2);
  return url.toString().replace(/\/+$/, '');
}

export function createApiClient(baseUrl: string, token: string | undefined): ApiClient {
  return {
    async request(method, path, options = {}) {
      const headers: Record<string, string> = { accept: options.accept ?? 'application/json' };
      if (token) headers['authorization'] = `Bearer ${token}`;
      if (options.body !== undefined) headers['content-type'] = 'application/json';
      let response: Response;
      try {
        response = await fetch(`${baseUrl}${path}`, {
          method,
          headers,
          ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
          signal: AbortSignal.timeout(30_000),
        });
      } catch (err) {
        throw new CliError(`cannot reach the server at ${baseUrl} (${networkCause(err)}); start it with "ecrscan serve" or set --url / ECRSCANAPI_URL`);
      }
      const text = await response.text();
      const body = parseBody(text, response.headers.get('content-type'));
      if (response.status === 401) {
        const hint = token ? 'the server does not know the token in ECRSCAN_API_TOKEN' : 'the server needs a token: set ECRSCAN_API_TOKEN';
        throw new CliError(`${problemMessage(response.status, body, text)} (${hint})`);
      }
      if (response.status >= 400) throw new CliError(problemMessage(response.status, body, text));
      return { status: response.status, body, text };
    },
  };
}

function parseBody(text: string, contentType: string | null): unknown {
  if (!contentType || !/json/.test(contentType) || text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function problemMessage(status: number, body: unknown, text: string): string {
  if (body && typeof body === 'object' && 'detail' in body && typeof body.detail === 'string') {
    const field = 'field' in body && typeof body.field === 'string' ? ` (field: ${body.field})` : '';
    return `${body.detail}${field}`;
  }
  return `the server answered ${status}${text ? `: ${text.slice(0, 200)}` : ''}`;
}

/** fetch hides the socket error behind "fetch failed"; users need ECONNREFUSED, ENOTFOUND or the timeout. */
function networkCause(err: unknown): string {
  const cause = (err as { cause?: { code?: string; errors?: Array<{ code?: string }>; message?: string } }).cause;
  if (err instanceof Error && err.name === 'TimeoutError') return 'no answer within 30 s';
  return cause?.code ?? cause?.errors?.[0]?.code ?? cause?.message ?? (err as Error).message;
}
