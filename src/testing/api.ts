/**
 * @module A data directory for the API and dashboard tests, made by the real
 * pipeline: labelled 5-minute windows (scanners, a brute-forcer, a sweeper,
 * DDoS and reflection victims, benign look-alikes) plus quiet botnet members
 * on several campuses, stored, detected, learned and hunted, with an
 * organisation directory and three tokens (admin, Campus A, Campus B).
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectRange } from '../detect/index.js';
import { type Report, windowId } from '../detect/report.js';
import { defaultThresholds } from '../detect/thresholds.js';
import { DAY_MS, FlowBatch } from '../flow/batch.js';
import { emptyRecord, type FlowRecord } from '../flow/record.js';
import { learnAndHunt } from '../hunt/run.js';
import { DuckFlowStore } from '../store/duckdb/index.js';
import { labelledWindow, WIN } from './windows.js';

export const TOKENS = {
  admin: 'admin-token-0123456789abcdef',
  campusA: 'campus-a-token-0123456789abcdef',
  campusB: 'campus-b-token-0123456789abcdef',
} as const;

/** Campus A owns 140.112/16; Campus B 140.114/16 (the DDoS victim's); the lab 198.18/15 (the brute-forcer's). */
export const DIRECTORY_YAML = `organisations:
  - name: Campus A
    cidrs: [140.112.0.0/16, "2001:db8:a::/48"]
    contacts: [noc@a.example.edu]
  - name: Campus B
    cidrs: [140.114.0.0/16]
    contacts: [noc@b.example.edu]
    lang: zh-TW
  - name: Backbone Lab
    cidrs: [198.18.0.0/15]
    contacts: [lab@example.net]
`;

export const CONFIG_YAML = (dir: string) => `enrich:
  directory: ${join(dir, 'directory.yaml')}
api:
  tokens:
    - { name: NOC, token: ${TOKENS.admin}, admin: true }
    - { name: Campus A admin, token: ${TOKENS.campusA}, organisations: [Campus A] }
    - { name: Campus B admin, token: ${TOKENS.campusB}, organisations: [Campus B] }
`;

/** Quiet members using the brute-forcer's 22-4-240: a few targets each, a fresh source port per target. */
export const MEMBERS = {
  campusA: ['140.112.50.1', '140.112.50.2', '140.112.50.3', '2001:db8:a::7'],
  campusB: ['140.114.60.1', '140.114.60.2'],
  outside: ['45.33.1.1', '45.33.1.2', '45.33.1.3'],
} as const;

export function memberFlows(w0: number): FlowRecord[] {
  const out: FlowRecord[] = [];
  const all = [...MEMBERS.campusA, ...MEMBERS.campusB, ...MEMBERS.outside];
  all.forEach((ip, m) => {
    const targets = 4 + (m % 4);
    for (let i = 0; i < targets; i++) {
      const end = w0 + 1000 + m * 7000 + i * 3000;
      out.push({
        ...emptyRecord(),
        flowStartMilliseconds: end - 900,
        flowEndMilliseconds: end,
        sourceIPAddress: ip,
        destinationIPAddress: ip.includes(':') ? `2001:db8:ff::${i + 1}` : `192.0.2.${10 + i}`,
        sourceTransportPort: 40000 + m * 100 + i,
        destinationTransportPort: 22,
        protocolIdentifier: 6,
        tcpControlBits: 0x1b,
        packetDeltaCount: 4,
        octetDeltaCount: 240,
        exporterIPAddress: '198.51.100.1',
        ingressInterface: 1,
      });
    }
  });
  return out;
}

/** A temporary directory for a whole test file (made in `before`, removed in `after`). */
export function scratchDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'flowhunt-api-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A year of earlier anomaly events for the monthly trend: this window's
 * reports, each moved to a few days of each of the eleven months before,
 * a number of times that varies by month and type.
 */
function history(templates: readonly Report[], w0: number): Map<string, Report[]> {
  const out = new Map<string, Report[]>();
  const first = new Map<string, Report>();
  for (const r of templates) if (!first.has(r.type)) first.set(r.type, r);
  const d = new Date(w0);
  [...first.values()].forEach((r, k) => {
    for (let m = 1; m <= 11; m++) {
      const month = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - m, 1);
      const n = 1 + ((m * 7 + k * 3) % 6) + (r.type.includes('victim') && m % 4 === 0 ? 4 : 0);
      for (let e = 0; e < n; e++) {
        const w = month + ((e * 5 + k) % 27) * DAY_MS + (8 + k) * 3600_000;
        const id = `${windowId(w)}/${r.role}/${r.ip}`;
        const docs = out.get(windowId(w)) ?? [];
        out.set(windowId(w), docs);
        if (docs.some((x) => x.id === id)) continue;
        docs.push({
          ...r,
          id,
          windowStart: w,
          windowEnd: w + WIN,
          duration: {
            ...r.duration,
            firstWindow: w,
            windowsSinceFirst: 1,
            anomalousWindows: 1,
            streak: 1,
            share: 1,
            minutes: 5,
          },
        });
      }
    }
  });
  return out;
}

export interface Dataset {
  dir: string;
  config: string;
  /** Start of the first labelled window. */
  w0: number;
  day: string;
  reports: Report[];
}

/**
 * Writes `windows` labelled windows starting at `w0` (default: three hours
 * before now, or midnight if that is later, on a window boundary, so the
 * last 24 hours have alerts; never a window that has not ended by now),
 * detects, learns signatures and hunts their day. The store is closed after.
 */
export async function makeDataset(
  dir: string,
  o: { w0?: number; windows?: number; history?: boolean } = {},
): Promise<Dataset> {
  // Today (UTC), so that the hunter of a `flowhunt serve` started on the data leaves the day alone,
  // and over by now (the last 24 hours hold every window): in the first minutes after midnight
  // that is yesterday's last windows, which the hunter leaves alone for its grace period.
  const now = Date.now();
  const windows = o.windows ?? 2;
  const midnight = Math.floor(now / DAY_MS) * DAY_MS;
  const today = Math.max(Math.floor((now - 3 * 3600_000) / WIN) * WIN, midnight);
  const w0 = o.w0 ?? (today + windows * WIN <= now ? today : midnight - windows * WIN);
  writeFileSync(join(dir, 'directory.yaml'), DIRECTORY_YAML);
  const config = join(dir, 'flowhunt.yaml');
  writeFileSync(config, CONFIG_YAML(dir));
  const store = await DuckFlowStore.open(join(dir, 'data'));
  try {
    for (let w = 0; w < windows; w++) {
      const b = new FlowBatch(1 << 17);
      for (const f of labelledWindow(w0 + w * WIN, w + 1).flows) b.push(f);
      if (w === 0) for (const f of memberFlows(w0)) b.push(f);
      await store.append(b);
    }
    await store.flush();
    const results = await detectRange(store, w0, w0 + windows * WIN, { thresholds: defaultThresholds() });
    const reports = results.flatMap((r) => r.reports);
    const d0 = Math.floor(w0 / DAY_MS) * DAY_MS;
    await learnAndHunt(store, reports, d0, d0 + DAY_MS);
    if (o.history)
      for (const [partition, docs] of history(reports, w0)) await store.putDocs('reports', partition, docs);
    return { dir, config, w0, day: new Date(d0).toISOString().slice(0, 10), reports };
  } finally {
    await store.close();
  }
}
