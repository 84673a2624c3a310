// A tiny History-API router: current path as external state, navigate(), <Link>, route matching.
import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react';

const NAVIGATE_EVENT = 'streams:navigate';
let navigatedInApp = false;

function subscribe(onChange: () => void): () => void {
  const onPop = () => {
    navigatedInApp = true;
    onChange();
  };
  window.addEventListener('popstate', onPop);
  window.addEventListener(NAVIGATE_EVENT, onChange);
  return () => {
    window.removeEventListener('popstate', onPop);
    window.removeEventListener(NAVIGATE_EVENT, onChange);
  };
}

export function usePathname(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname);
}

/** True once the user has moved between pages without a full load (used to move focus to the new h1). */
export function hasNavigatedInApp(): boolean {
  return navigatedInApp;
}

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  const current = window.location.pathname + window.location.search;
  if (to === current) return;
  if (opts.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  if (!opts.replace) navigatedInApp = true;
  window.dispatchEvent(new Event(NAVIGATE_EVENT));
  if (!opts.replace) window.scrollTo(0, 0);
}

export type Route =
  | { name: 'login' }
  | { name: 'register' }
  | { name: 'dashboard' }
  | { name: 'stream'; id: string }
  | { name: 'activity' }
  | { name: 'tokens' }
  | { name: 'notFound' };

/** Pages reachable without a session. Everything else needs one. */
export function isPublicRoute(route: Route): boolean {
  return route.name === 'login' || route.name === 'register';
}

export function matchRoute(pathname: string): Route {
  const path = pathname.replace(/\/+$/, '') || '/';
  switch (path) {
    case '/':
      return { name: 'dashboard' };
    case '/login':
      return { name: 'login' };
    case '/register':
      return { name: 'register' };
    case '/activity':
      return { name: 'activity' };
    case '/tokens':
      return { name: 'tokens' };
  }
  const stream = /^\/streams\/([^/]+)$/.exec(path);
  if (stream?.[1]) {
    try {
      return { name: 'stream', id: decodeURIComponent(stream[1]) };
    } catch {
      return { name: 'notFound' };
    }
  }
  return { name: 'notFound' };
}

export const paths = {
  stream: (id: string) => `/streams/${encodeURIComponent(id)}`,
};

type LinkProps = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> & { to: string };

/** An ordinary <a href> that navigates in-app on a plain left click. */
export function Link({ to, onClick, ...rest }: LinkProps) {
  const handleClick = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    if (rest.target && rest.target !== '_self') return;
    e.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={handleClick} {...rest} />;
}
