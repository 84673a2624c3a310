// Predicates for the UI's own API calls (page.waitForResponse, page.on('request')).
import type { Page, Request, Response } from '@playwright/test';

function pathMatches(url: string, path: string | RegExp): boolean {
  const pathname = new URL(url).pathname;
  return typeof path === 'string' ? pathname === path : path.test(pathname);
}

export function isRequest(method: string, path: string | RegExp): (request: Request) => boolean {
  return (request) => request.method() === method && pathMatches(request.url(), path);
}

export function isResponse(method: string, path: string | RegExp): (response: Response) => boolean {
  const matches = isRequest(method, path);
  return (response) => matches(response.request());
}

/** Counts the requests `page` sends to `method path` from now on. */
export function countRequests(page: Page, method: string, path: string | RegExp): { readonly count: number } {
  const counter = { count: 0 };
  const matches = isRequest(method, path);
  page.on('request', (request) => {
    if (matches(request)) counter.count++;
  });
  return counter;
}
