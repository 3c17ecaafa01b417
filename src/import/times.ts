/**
 * @module Wall-clock times as flow tools print them, and the time zone they
 * are read in.
 *
 * nfdump (`-o csv`) and Argus (`ra`, hence CTU-13's `.binetflow`) print
 * flow times with `localtime()`: in the time zone of the process that
 * printed them, without saying which. Such a time is read in a
 * {@link TimeZone}: the one given with `flowhunt import --tz ZONE` (an IANA
 * name such as `Europe/Prague` or `Asia/Taipei`, `UTC`, or a fixed offset
 * such as `+08:00`, `-0530`, `UTC+8`), else this process's own zone (the
 * `TZ` environment variable, as nfdump and Argus do), so
 * `nfdump -o csv | flowhunt import` on the same host gives back the exact
 * instants. On a host running in UTC (the usual server setting) the times
 * are then taken as UTC — which is why the import warns when it reads such
 * a file without `--tz`. Zeek writes epoch seconds, which need no zone.
 *
 * In an hour repeated at the end of summer time the earlier instant is taken
 * (the text cannot tell them apart); a time in the hour skipped at its start
 * is read with the offset before the change (02:30 becomes 03:30 summer
 * time), as JavaScript's `Date` does.
 */

const DATE_TIME = /^(\d{4})[-/](\d{2})[-/](\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;

/** A time zone: its name as given, and its offset from UTC at an instant. */
export interface TimeZone {
  /** `Asia/Taipei`, `+08:00`, or `local (Europe/Prague)` for the process's zone. */
  readonly name: string;
  /** True for the process's own zone (no `--tz` given). */
  readonly isLocal: boolean;
  /** Local time minus UTC, in ms, at the instant `utcMs`. */
  offsetMs(utcMs: number): number;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY = 86_400_000;

/** The zone of this process (`TZ`, else the system's). */
export function localZone(): TimeZone {
  const id = Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'unknown';
  return {
    name: `local (${id})`,
    isLocal: true,
    offsetMs: (t) => -new Date(t).getTimezoneOffset() * MINUTE_MS,
  };
}

function fixedZone(name: string, offsetMs: number): TimeZone {
  return { name, isLocal: false, offsetMs: () => offsetMs };
}

/** An IANA zone through Intl; throws RangeError for an unknown name. */
function ianaZone(id: string): TimeZone {
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone: id,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  const name = fmt.resolvedOptions().timeZone;
  return {
    name,
    isLocal: false,
    offsetMs: (t) => {
      const p: Record<string, number> = {};
      for (const part of fmt.formatToParts(t)) if (part.type !== 'literal') p[part.type] = Number(part.value);
      const wall = Date.UTC(p['year']!, p['month']! - 1, p['day']!, p['hour']!, p['minute']!, p['second']!);
      return wall - (t - (((t % 1000) + 1000) % 1000));
    },
  };
}

const OFFSET = /^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?$/i;

/**
 * Reads a `--tz` value: `UTC`/`Z`, an offset (`+08:00`, `+0800`, `+8`,
 * `UTC+8`, `GMT-05:30`), or an IANA name (`Asia/Taipei`). Undefined when it
 * is none of these.
 */
export function parseTimeZone(text: string): TimeZone | undefined {
  const t = text.trim();
  if (/^(z|utc|gmt)$/i.test(t)) return fixedZone('UTC', 0);
  const m = OFFSET.exec(t);
  if (m) {
    const h = Number(m[2]);
    const min = m[3] === undefined ? 0 : Number(m[3]);
    if (h > 14 || min > 59 || (h === 14 && min > 0)) return undefined;
    const sign = m[1] === '-' ? -1 : 1;
    const name = `${m[1]}${String(h).padStart(2, '0')}:${String(min).padStart(2, '0')}`;
    return fixedZone(name === '-00:00' ? '+00:00' : name, sign * (h * HOUR_MS + min * MINUTE_MS));
  }
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(t)) return undefined;
  try {
    return ianaZone(t);
  } catch {
    return undefined;
  }
}

/**
 * The instant at which the wall clock of `zone` shows `wallMs` (the wall
 * time written as if it were UTC); see the module comment for repeated and
 * skipped hours.
 */
export function zoneInstant(zone: TimeZone, wallMs: number): number {
  // Zones change offset at most once in a day: the offsets a day either side bound the answer.
  const before = zone.offsetMs(wallMs - DAY);
  const after = zone.offsetMs(wallMs + DAY);
  const a = wallMs - before;
  const b = wallMs - after;
  const aOk = a + zone.offsetMs(a) === wallMs;
  const bOk = b + zone.offsetMs(b) === wallMs;
  if (aOk && bOk) return Math.min(a, b);
  if (bOk) return b;
  return a; // valid, or a skipped hour: the offset before the change
}

/**
 * Reads `YYYY-MM-DD hh:mm:ss[.frac]` (or with `/` between the date parts)
 * in one time zone, with a per-minute cache: flow files are mostly in time
 * order, so a minute's zone arithmetic is done once.
 */
export class WallClock {
  private lastMinuteKey = '';
  private lastMinuteMs = 0;
  /** The text of that minute as last seen (`2011/08/10 09:46`), for a quick match. */
  private lastPrefix = '';

  /** The minute last read by {@link minuteMs}, as `yyyymmddhhmm`, and its instant. */
  private lastMinuteNo = -1;
  private lastMinuteNoMs = 0;

  constructor(readonly zone: TimeZone = localZone()) {}

  /**
   * The instant, in ms, at which this zone's clock shows minute `mi` of hour
   * `h` on `y`-`mo`-`d`: what {@link micros} reads from text, for readers
   * that take the digits from bytes. NaN for a date that does not exist or
   * is before 1970 (the checks of {@link micros}).
   */
  minuteMs(y: number, mo: number, d: number, h: number, mi: number): number {
    const no = (((y * 100 + mo) * 100 + d) * 100 + h) * 100 + mi;
    if (no === this.lastMinuteNo) return this.lastMinuteNoMs;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59) return Number.NaN;
    const wall = Date.UTC(y, mo - 1, d, h, mi);
    const check = new Date(wall);
    if (check.getUTCDate() !== d || check.getUTCMonth() !== mo - 1) return Number.NaN;
    this.lastMinuteNo = no;
    this.lastMinuteNoMs = zoneInstant(this.zone, wall);
    return this.lastMinuteNoMs;
  }

  /** Whole microseconds since the epoch; NaN when the text is not such a time or names no real date. */
  micros(text: string): number {
    const lastPrefix = this.lastPrefix;
    if (lastPrefix !== '' && text.charCodeAt(16) === 58 && text.startsWith(lastPrefix)) {
      const us = secondsMicros(text);
      if (us < 61e6) return this.lastMinuteMs * 1000 + us; // NaN fails the test and falls through
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
    if (key !== this.lastMinuteKey) {
      const wall = Date.UTC(Number(y), month - 1, day, hour, minute);
      // Date.UTC rolls 31 April over into 1 May: refuse dates that do not exist.
      const check = new Date(wall);
      if (check.getUTCDate() !== day || check.getUTCMonth() !== month - 1) return Number.NaN;
      this.lastMinuteKey = key;
      this.lastMinuteMs = zoneInstant(this.zone, wall);
    }
    this.lastPrefix = text.length >= 19 && text.charCodeAt(16) === 58 ? text.slice(0, 16) : '';
    const micros = frac ? Math.floor(Number(`0.${frac}`) * 1e6 + 1e-6) : 0;
    return (this.lastMinuteMs + sec * 1000) * 1000 + micros;
  }
}

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

let shared: WallClock | undefined;

/**
 * Parses such a time in this process's zone (the zone at the first call);
 * NaN when it is not a time. Readers given a zone use a {@link WallClock}.
 */
export function localTimeMicros(text: string): number {
  shared ??= new WallClock();
  return shared.micros(text);
}

/** Epoch seconds with up to 9 decimals (`1545403816.962094`, Zeek, `ra -u`) → whole micros; NaN otherwise. */
export function epochMicros(text: string): number {
  const m = /^(\d{1,11})(?:\.(\d{1,9}))?$/.exec(text);
  if (!m) return Number.NaN;
  const frac = (m[2] ?? '').padEnd(6, '0').slice(0, 6);
  return Number(m[1]) * 1e6 + Number(frac);
}
