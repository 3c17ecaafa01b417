/**
 * @module Wall-clock times as flow tools print them.
 *
 * nfdump (`-o csv`) and Argus (`ra`, hence CTU-13's `.binetflow`) print
 * flow times with `localtime()`: in the time zone of the process that
 * printed them, without saying which. flowhunt reads such a time in its own
 * time zone — the `TZ` environment variable, as nfdump and Argus do — so
 * `nfdump -o csv | flowhunt import` on the same host gives back the exact
 * instants, and `TZ=Europe/Prague flowhunt import capture.binetflow` reads
 * CTU-13 as recorded. On a host running in UTC (the usual server setting)
 * the times are taken as UTC. In an hour repeated at the end of summer time
 * the earlier instant is taken (the text cannot tell them apart).
 */

const DATE_TIME = /^(\d{4})[-/](\d{2})[-/](\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;

/** Epoch ms of the start of one local minute, cached: flow files are mostly in time order. */
let lastMinuteKey = '';
let lastMinuteMs = 0;
/** The text of that minute as last seen (`2011/08/10 09:46`), for a quick match. */
let lastPrefix = '';

/** Seconds and fraction after a known minute (`:ss` or `:ss.ffffff`), as micros; NaN if not that shape. */
function secondsMicros(text: string): number {
  const d = (i: number) => {
    const c = text.charCodeAt(i) - 48;
    return c >= 0 && c <= 9 ? c : Number.NaN;
  };
  const sec = d(17) * 10 + d(18);
  if (text.length === 19) return sec * 1e6;
  if (text.charCodeAt(19) !== 46 || text.length > 29 || text.length === 20) return Number.NaN;
  let frac = 0;
  let scale = 1e5;
  for (let i = 20; i < text.length; i++, scale /= 10) frac += d(i) * scale;
  return sec * 1e6 + Math.floor(frac);
}

/**
 * Parses `YYYY-MM-DD hh:mm:ss[.frac]` (or with `/` between the date parts)
 * as local time, to whole microseconds since the epoch. NaN when the text is
 * not such a time or names no real date.
 */
export function localTimeMicros(text: string): number {
  if (lastPrefix !== '' && text.charCodeAt(16) === 58 && text.startsWith(lastPrefix)) {
    const us = secondsMicros(text);
    if (us < 61e6) return lastMinuteMs * 1000 + us; // NaN fails the test and falls through
  }
  const m = DATE_TIME.exec(text.trim());
  if (!m) return Number.NaN;
  const [, y, mo, d, h, mi, s, frac] = m as unknown as string[];
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const sec = Number(s);
  if (
    Number(y) < 1970 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > 31 ||
    hour > 23 ||
    minute > 59 ||
    sec > 60
  )
    return Number.NaN;
  const key = `${y}-${mo}-${d} ${h}:${mi}`;
  if (key !== lastMinuteKey) {
    const date = new Date(Number(y), month - 1, day, hour, minute);
    // Date rolls 31 April over into 1 May: refuse dates that do not exist.
    if (date.getDate() !== day || date.getMonth() !== month - 1) return Number.NaN;
    lastMinuteKey = key;
    lastMinuteMs = date.getTime();
  }
  lastPrefix = text.length >= 19 && text.charCodeAt(16) === 58 ? text.slice(0, 16) : '';
  const micros = frac ? Math.floor(Number(`0.${frac}`) * 1e6 + 1e-6) : 0;
  return (lastMinuteMs + sec * 1000) * 1000 + micros;
}
