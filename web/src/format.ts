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

/** A signature's exchanges as its written form gives them: one for `22-4-240`, several for a profile. */
export interface Exchanges {
  port: number;
  protocol?: string;
  combos: { packets: number; octets: number; percent: number | null }[];
}

/**
 * Reads the documented forms (docs/hunt.md): `22-4-240`, `53-1-70/udp`,
 * `1433:5-420=60,4-320=40`; null for anything else.
 */
export function exchangesOf(text: string): Exchanges | null {
  const [body = '', protocol] = text.split('/');
  const exact = /^(\d+)-(\d+)-(\d+)$/.exec(body);
  if (exact) {
    const c = { packets: Number(exact[2]), octets: Number(exact[3]), percent: 100 };
    return { port: Number(exact[1]), ...(protocol ? { protocol } : {}), combos: [c] };
  }
  const prof = /^(\d+):(.+)$/.exec(body);
  if (!prof) return null;
  const combos: Exchanges['combos'] = [];
  for (const part of prof[2]!.split(',')) {
    const m = /^(\d+)-(\d+)(?:=([\d.]+))?$/.exec(part);
    if (!m) return null;
    combos.push({
      packets: Number(m[1]),
      octets: Number(m[2]),
      percent: m[3] === undefined ? null : Number(m[3]),
    });
  }
  return { port: Number(prof[1]), ...(protocol ? { protocol } : {}), combos };
}

/**
 * A signature for reading: an exact one as written (`22-4-240`), a profile
 * as its port and exchanges with their shares (`1433: 5-420 60% · 4-320 40%`).
 */
export function readableSignature(text: string): string {
  const x = exchangesOf(text);
  if (!x || x.combos.length < 2) return text;
  const parts = x.combos.map((c) => `${c.packets}-${c.octets}${c.percent === null ? '' : ` ${c.percent}%`}`);
  return `${x.port}: ${parts.join(' · ')}${x.protocol ? ` /${x.protocol}` : ''}`;
}
