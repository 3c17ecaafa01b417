/**
 * @module A hash router: `#/alerts/2026-11-20T10-05/source/1.2.3.4?type=x`.
 * The server serves one page; the hash never reaches it, so no route of the
 * dashboard can collide with the API's.
 */

import { useEffect, useState } from 'react';

export interface Location {
  /** Path segments, decoded. */
  parts: string[];
  query: URLSearchParams;
}

function parse(): Location {
  const h = window.location.hash.replace(/^#/, '') || '/';
  const [path = '/', q = ''] = h.split('?');
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(q) };
}

export function useLocation(): Location {
  const [loc, setLoc] = useState(parse);
  useEffect(() => {
    const on = () => setLoc(parse());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return loc;
}

/** The global time range's parameters (range.ts), which every link carries on. */
const RANGE_PARAMS = ['range', 'from', 'to'];

/**
 * `#/a/b?x=1` from segments (each encoded) and a query. The current page's
 * time range goes along unless the query names one (a link keeps the range).
 */
export function href(
  parts: (string | number)[],
  query: Record<string, string | number | undefined> = {},
): string {
  const q = new URLSearchParams();
  if (!RANGE_PARAMS.some((k) => query[k] !== undefined && query[k] !== ''))
    for (const k of RANGE_PARAMS) {
      const v = parse().query.get(k);
      if (v) q.set(k, v);
    }
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return `#/${parts.map((p) => encodeURIComponent(String(p))).join('/')}${s ? `?${s}` : ''}`;
}

export function navigate(to: string): void {
  window.location.hash = to.replace(/^#/, '');
}

/** The link to a report: its id is `window/role/ip`. */
export function reportHref(id: string): string {
  return href(['alerts', ...id.split('/')]);
}
