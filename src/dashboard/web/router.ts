/** Hash routes (`#/traces/<id>`, `#/logs?trace=<id>`): the server serves one page, and links work with the keyboard and in new tabs. */
import { useEffect, useState } from 'preact/hooks';

export interface Route {
  /** `['traces', '<id>']` */
  readonly parts: string[];
  readonly params: URLSearchParams;
}

function current(): Route {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path = '', query = ''] = hash.split('?');
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(query) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const onChange = () => setRoute(current());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export function href(path: string, params: Record<string, string | undefined> = {}): string {
  const query = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '')).toString();
  return `#/${path}${query ? `?${query}` : ''}`;
}

/** Replaces the query of the current route without adding a history entry per keystroke. */
export function replaceParams(path: string, params: Record<string, string | undefined>): void {
  history.replaceState(null, '', href(path, params));
}
