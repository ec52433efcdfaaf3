// The address is the state of where you are: `/`, `/jobs/:id`, `/jobs/:id/runs/:runId`,
// `?cell=code`, `/share/:id`, `/new?template=…`, `/open#job=…`. A tiny history router.
import { create } from 'zustand';

export interface Location {
  readonly path: string;
  readonly query: URLSearchParams;
  readonly hash: string;
}

function current(): Location {
  return {
    path: location.pathname,
    query: new URLSearchParams(location.search),
    hash: location.hash,
  };
}

export const useLocation = create<Location>(() => current());

window.addEventListener('popstate', () => useLocation.setState(current(), true));

/** Goes to `to` (path with optional query and hash); `replace` keeps the history entry. */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === location.pathname + location.search + location.hash) {
    return;
  }
  if (options.replace === true) {
    history.replaceState(null, '', to);
  } else {
    history.pushState(null, '', to);
  }
  useLocation.setState(current(), true);
}

/** Sets or clears one query parameter without a new history entry. */
export function setQueryParam(name: string, value: string | undefined): void {
  const url = new URL(location.href);
  if (value === undefined) {
    url.searchParams.delete(name);
  } else {
    url.searchParams.set(name, value);
  }
  navigate(url.pathname + url.search + url.hash, { replace: true });
}

export type Route =
  | { readonly page: 'home' }
  | { readonly page: 'job'; readonly jobId: string; readonly runId?: string }
  | { readonly page: 'share'; readonly shareId: string }
  | { readonly page: 'new'; readonly template?: string }
  | { readonly page: 'open' }
  | { readonly page: 'not-found' };

export function matchRoute(loc: Location): Route {
  const parts = loc.path
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  if (parts.length === 0) {
    return { page: 'home' };
  }
  if (parts[0] === 'jobs' && parts.length === 2) {
    return { page: 'job', jobId: parts[1]! };
  }
  if (parts[0] === 'jobs' && parts.length === 4 && parts[2] === 'runs') {
    return { page: 'job', jobId: parts[1]!, runId: parts[3]! };
  }
  if (parts[0] === 'share' && parts.length === 2) {
    return { page: 'share', shareId: parts[1]! };
  }
  if (parts[0] === 'new' && parts.length === 1) {
    const template = loc.query.get('template');
    return template === null ? { page: 'new' } : { page: 'new', template };
  }
  if (parts[0] === 'open' && parts.length === 1) {
    return { page: 'open' };
  }
  return { page: 'not-found' };
}

/** Click handler for in-app links: plain clicks navigate, modified clicks open a tab. */
export function linkClick(to: string) {
  return (event: {
    preventDefault(): void;
    metaKey: boolean;
    ctrlKey: boolean;
    shiftKey: boolean;
    button: number;
  }) => {
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) {
      return;
    }
    event.preventDefault();
    navigate(to);
  };
}
