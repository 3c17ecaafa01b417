/**
 * @module The global time range: one for every page, kept in the URL so a
 * link keeps it — `range=1h|24h|7d|30d` (a preset, relative to now) or
 * `from` and `to` (ISO 8601, UTC; a custom range). Every page asks the API
 * for that range; {@link href} (router.ts) carries it on to every link.
 */

import { useLocation } from './router';

export const PRESETS = ['1h', '24h', '7d', '30d'] as const;
export type Preset = (typeof PRESETS)[number];
const PRESET_MS: Record<Preset, number> = {
  '1h': 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
};
export const DEFAULT_PRESET: Preset = '24h';

/** The URL parameters of the range (the ones links carry). */
export const RANGE_KEYS = ['range', 'from', 'to'] as const;

export interface Range {
  /** Epoch ms, [from, to). */
  from: number;
  to: number;
  /** The preset, or undefined for a custom range. */
  preset?: Preset;
  /** The range for an API query: ISO 8601 times. */
  api: { from: string; to: string };
}

/** A time as the picker writes it: `2026-11-20T13:05` (UTC). */
export function isoMinute(t: number): string {
  return new Date(t).toISOString().slice(0, 16);
}

/** An ISO 8601 time without a zone is UTC (as the API reads it). */
export function parseTime(s: string): number | undefined {
  const t = s.trim();
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?)?(Z|[+-]\d{2}:?\d{2})?$/.test(t)) return undefined;
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(t) ? t : `${t.length === 10 ? `${t}T00:00` : t}Z`;
  const v = Date.parse(zoned.replace(' ', 'T'));
  return Number.isNaN(v) ? undefined : v;
}

export function rangeOf(query: URLSearchParams, now = Date.now()): Range {
  const from = parseTime(query.get('from') ?? '');
  const to = parseTime(query.get('to') ?? '');
  if (from !== undefined && to !== undefined && from < to)
    return { from, to, api: { from: new Date(from).toISOString(), to: new Date(to).toISOString() } };
  const preset = (PRESETS as readonly string[]).includes(query.get('range') ?? '')
    ? (query.get('range') as Preset)
    : DEFAULT_PRESET;
  // Rounded up to the minute, so the query (and what it shows) stays the same between renders.
  const end = Math.ceil(now / 60_000) * 60_000;
  const start = end - PRESET_MS[preset];
  return {
    from: start,
    to: end,
    preset,
    api: { from: new Date(start).toISOString(), to: new Date(end).toISOString() },
  };
}

export function useRange(): Range {
  return rangeOf(useLocation().query);
}

/** The first and last UTC day a range touches (the hunt's findings are per day). */
export function rangeDays(r: Range): { from: string; to: string } {
  return {
    from: new Date(r.from).toISOString().slice(0, 10),
    to: new Date(r.to - 1).toISOString().slice(0, 10),
  };
}
