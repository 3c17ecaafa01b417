/** @module Numbers and times as the dashboard shows them (times in UTC, like the flow data). */

export const int = (n: number, lang = 'en'): string =>
  Math.round(n).toLocaleString(lang === 'en' ? 'en-US' : lang);

export function dec(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

export const pct = (share: number): string => `${(share * 100).toFixed(1)}%`;

/** `2026-11-20 10:05` (UTC). */
export function when(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

export function protocolName(p: number): string {
  return p === 6 ? 'tcp' : p === 17 ? 'udp' : p === 1 ? 'icmp' : String(p);
}
