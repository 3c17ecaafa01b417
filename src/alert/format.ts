/** @module Numbers and times as the alerts print them: `99.98%`, `14,040,000`, `2026-11-20 10:00`. */

/** A share as a percentage with two decimals, as the paper prints them: `99.98%`. */
export const pct = (share: number): string => `${(share * 100).toFixed(2)}%`;

/** A count with thousands separators. */
export const int = (n: number): string => Math.round(n).toLocaleString('en-US');

/** A measured value: an integer as a count, otherwise up to two decimals. */
export const dec = (x: number): string =>
  Number.isInteger(x) ? int(x) : x.toLocaleString('en-US', { maximumFractionDigits: 2 });

/** `1 packet`, `3 packets`: English plurals for the few nouns alerts count. */
export const plural = (n: number, word: string, text = dec(n)): string =>
  `${text} ${word}${n === 1 ? '' : 's'}`;

/** `2026-11-20 10:00` in the given IANA zone. */
export function clockTime(ms: number, timeZone = 'UTC'): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(ms));
  const g = (t: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === t)?.value ?? '';
  return `${g('year')}-${g('month')}-${g('day')} ${g('hour')}:${g('minute')}`;
}

/** Whether `Intl` knows the zone (checked when the config is read). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
