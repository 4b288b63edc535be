import { useEffect, useState } from 'preact/hooks';

// Hash routes (#/configs/…): the API owns every path of the origin (/configs/ is the API's
// list), so the dashboard's pages live after the # and the server serves `/` alone.

export type Route =
  | { page: 'overview' }
  | { page: 'configs' }
  | { page: 'config'; id: string }
  | { page: 'activity' }
  | { page: 'subscriptions' }
  | { page: 'suppressions' }
  | { page: 'unknown'; path: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  if (path === '/') return { page: 'overview' };
  if (path === '/configs') return { page: 'configs' };
  const config = /^\/configs\/([^/]+)$/.exec(path);
  if (config?.[1]) return { page: 'config', id: decodeURIComponent(config[1]) };
  if (path === '/activity') return { page: 'activity' };
  if (path === '/subscriptions') return { page: 'subscriptions' };
  if (path === '/suppressions') return { page: 'suppressions' };
  return { page: 'unknown', path };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = (): void => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}

export function configHref(id: string): string {
  return `#/configs/${encodeURIComponent(id)}`;
}
