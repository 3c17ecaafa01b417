/** @module One anomaly report as one line of text, shared by `flowhunt detect` and `flowhunt reports`. */

import type { Report } from '../detect/report.js';

/** Window, type, role, address, score, the thresholds exceeded and the streak. */
export function reportLine(r: Report): string {
  const top = r.exceeded
    .filter((e) => e.op === '>=')
    .map((e) => `${e.metric} ${e.value} ≥ ${e.threshold}`)
    .join('; ');
  return `${new Date(r.windowStart).toISOString().slice(0, 16)}Z  ${r.type.padEnd(17)} ${r.role.padEnd(11)} ${r.ip.padEnd(16)} score ${String(r.score).padStart(6)}  ${top}  (streak ${r.duration.streak}, ${r.duration.minutes} min)`;
}
