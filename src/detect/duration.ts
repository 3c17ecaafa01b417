/**
 * @module Stage 4 — how long each host has been anomalous.
 *
 * Per host and role: the first window it was anomalous in (this episode),
 * how many windows have passed since and how many of them were anomalous,
 * and the current streak. An episode ends after `quietWindows` windows
 * without an anomaly (a day by default); the next anomaly starts a new one.
 * The state is a plain object stored with each window, so a replay or a
 * restarted detector continues exactly where the last window left it.
 */

export interface HostTrack {
  /** Start of the first anomalous window of this episode (ms). */
  first: number;
  /** Start of the last anomalous window (ms). */
  last: number;
  anomalous: number;
  streak: number;
}

export interface Duration {
  firstWindow: number;
  windowsSinceFirst: number;
  anomalousWindows: number;
  /** anomalousWindows / windowsSinceFirst. */
  share: number;
  streak: number;
  /** Minutes from the first anomalous window's start to this window's end. */
  minutes: number;
}

export type TrackState = Record<string, HostTrack>;

export function trackKey(ip: string, role: string): string {
  return `${role}|${ip}`;
}

/**
 * Advances the state to window `w0` given the set of anomalous host keys,
 * and returns each anomalous host's duration.
 */
export function advance(
  state: TrackState,
  w0: number,
  windowMs: number,
  anomalous: readonly string[],
  quietWindows = 288,
): Map<string, Duration> {
  const out = new Map<string, Duration>();
  const now = new Set(anomalous);
  for (const key of anomalous) {
    let t = state[key];
    if (!t || (w0 - t.last) / windowMs > quietWindows) {
      t = { first: w0, last: w0, anomalous: 0, streak: 0 };
      state[key] = t;
    }
    // The state given is always the one left by the previous window, so a window is never counted twice.
    t.streak = t.anomalous > 0 && w0 - t.last === windowMs ? t.streak + 1 : 1;
    t.anomalous += 1;
    t.last = w0;
    const since = Math.round((w0 - t.first) / windowMs) + 1;
    out.set(key, {
      firstWindow: t.first,
      windowsSinceFirst: since,
      anomalousWindows: t.anomalous,
      share: Math.round((t.anomalous / since) * 10_000) / 10_000,
      streak: t.streak,
      minutes: Math.round((w0 + windowMs - t.first) / 60_000),
    });
  }
  // Hosts quiet in this window lose their streak; long-quiet ones are forgotten.
  for (const [key, t] of Object.entries(state)) {
    if (now.has(key)) continue;
    if (t.last < w0) t.streak = 0;
    if ((w0 - t.last) / windowMs > quietWindows) delete state[key];
  }
  return out;
}
